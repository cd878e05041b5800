-- The change feed reads an upsert's item from its row when the change keeps no copy of it
-- (2026-11-30-060000_feed_by_reference): found by the row's number (`item_seq`, the table's
-- primary key) instead of by the item's id through a second index. On PostgreSQL a page of
-- 1,000 changes took a fifth to a quarter less time so in `psql` (docs/benchmarks.md,
-- "Issue 13: the feed reads items by their rows' numbers"). `item_seq` is read only while
-- `data` is NULL; a deletion has none. Changes already recorded are given theirs here.
ALTER TABLE changes ADD COLUMN item_seq BIGINT;
UPDATE changes c SET item_seq = t.seq FROM recommendations t
    WHERE c.entity = 'recommendation' AND c.op = 'upsert' AND c.data IS NULL AND t.id = c.entity_id;
UPDATE changes c SET item_seq = t.seq FROM stakeholders t
    WHERE c.entity = 'stakeholder' AND c.op = 'upsert' AND c.data IS NULL AND t.id = c.entity_id;
UPDATE changes c SET item_seq = t.seq FROM activities t
    WHERE c.entity = 'activity' AND c.op = 'upsert' AND c.data IS NULL AND t.id = c.entity_id;
UPDATE changes c SET item_seq = t.seq FROM consents t
    WHERE c.entity = 'consent' AND c.op = 'upsert' AND c.data IS NULL AND t.id = c.entity_id;
UPDATE changes c SET item_seq = t.seq FROM assistance_requests t
    WHERE c.entity = 'assistance_request' AND c.op = 'upsert' AND c.data IS NULL AND t.id = c.entity_id;
UPDATE changes c SET item_seq = t.seq FROM offers t
    WHERE c.entity = 'offer' AND c.op = 'upsert' AND c.data IS NULL AND t.id = c.entity_id;
-- An upsert that keeps no copy of its item says which row holds it; a write that forgets
-- fails instead of leaving a change the feed cannot read.
ALTER TABLE changes ADD CONSTRAINT changes_item_seq_check
    CHECK (op <> 'upsert' OR data IS NOT NULL OR item_seq IS NOT NULL) NOT VALID;
