ALTER TABLE changes DROP CONSTRAINT changes_item_seq_check;
ALTER TABLE changes DROP COLUMN item_seq;
