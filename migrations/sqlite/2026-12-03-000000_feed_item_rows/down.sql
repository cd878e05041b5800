DROP TRIGGER changes_say_which_row;
ALTER TABLE changes DROP COLUMN item_seq;
