-- Natural keys are 128 bits of SHA-256 (`digest::natural_key`), not 256: the first half of
-- each, in the row and in its unique index. (On SQLite this migration also keeps each item's
-- full-text terms once; PostgreSQL generates its `search` column from `search_text`.)
UPDATE recommendations SET natural_key = substr(natural_key, 1, 32);
UPDATE activities SET natural_key = substr(natural_key, 1, 32);
UPDATE assistance_requests SET natural_key = substr(natural_key, 1, 32);
UPDATE offers SET natural_key = substr(natural_key, 1, 32);
