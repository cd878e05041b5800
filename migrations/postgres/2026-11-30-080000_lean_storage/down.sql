-- Natural keys stay 128 bits: the 256 bits they were cannot be had back, and the code before
-- this migration, which computes 256, would not recognise an item imported again.
SELECT 1;
