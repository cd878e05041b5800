-- The change feed reads an upsert's item from its row when the change keeps no copy of it
-- (2026-11-30-060000_feed_by_reference): found by the row's number (`item_seq`, the table's
-- primary key) instead of by the item's id through a second index. On PostgreSQL a page of
-- 1,000 changes took a fifth to a quarter less time so in `psql` (docs/benchmarks.md,
-- "Issue 13: the feed reads items by their rows' numbers"). `item_seq` is read only while
-- `data` is NULL; a deletion has none. Changes already recorded are given theirs here.
ALTER TABLE changes ADD COLUMN item_seq INTEGER;
UPDATE changes SET item_seq = (SELECT t.seq FROM recommendations t WHERE t.id = changes.entity_id)
    WHERE entity = 'recommendation' AND op = 'upsert' AND data IS NULL;
UPDATE changes SET item_seq = (SELECT t.seq FROM stakeholders t WHERE t.id = changes.entity_id)
    WHERE entity = 'stakeholder' AND op = 'upsert' AND data IS NULL;
UPDATE changes SET item_seq = (SELECT t.seq FROM activities t WHERE t.id = changes.entity_id)
    WHERE entity = 'activity' AND op = 'upsert' AND data IS NULL;
UPDATE changes SET item_seq = (SELECT t.seq FROM consents t WHERE t.id = changes.entity_id)
    WHERE entity = 'consent' AND op = 'upsert' AND data IS NULL;
UPDATE changes SET item_seq = (SELECT t.seq FROM assistance_requests t WHERE t.id = changes.entity_id)
    WHERE entity = 'assistance_request' AND op = 'upsert' AND data IS NULL;
UPDATE changes SET item_seq = (SELECT t.seq FROM offers t WHERE t.id = changes.entity_id)
    WHERE entity = 'offer' AND op = 'upsert' AND data IS NULL;
-- An upsert that keeps no copy of its item says which row holds it; a write that forgets
-- fails instead of leaving a change the feed cannot read.
CREATE TRIGGER changes_say_which_row BEFORE INSERT ON changes
WHEN NEW.op = 'upsert' AND NEW.data IS NULL AND NEW.item_seq IS NULL
BEGIN
    SELECT RAISE(ABORT, 'an upsert that keeps no copy of its item and does not say which row holds it');
END;
