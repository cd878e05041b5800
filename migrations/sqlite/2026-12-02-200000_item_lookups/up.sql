-- On PostgreSQL this migration makes the audit trail's and the feed's look-ups of an item hash
-- indexes and fills the pages of indexes that only grow at their end. SQLite has no hash
-- indexes nor fill factors: nothing to change here.
SELECT 1;
