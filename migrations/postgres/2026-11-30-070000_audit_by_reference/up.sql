-- The audit trail keeps no copy of a created item that the change feed holds (src/db/audit.rs).
-- A creation of an item the feed carries leaves `changes` NULL: the item as created is its
-- first change in the feed (which the feed keeps in its row, or serves from the item's row
-- while that change is the item's last). Before compaction removes that change, it writes
-- the item into the entry (`db::sql::statements::compact_changes`): the only update the
-- trail allows, from NULL to the document, once.
ALTER TABLE audit_log
    ALTER COLUMN changes DROP NOT NULL,
    -- NULL: a creation whose item is the item's first change in the feed.
    ADD CONSTRAINT audit_log_changes_check
        CHECK (changes IS NOT NULL OR (operation = 'create' AND entity <> 'interest'));

DROP TRIGGER audit_log_no_change ON audit_log;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW WHEN (NOT (OLD.changes IS NULL AND NEW.changes IS NOT NULL
        AND NEW.seq = OLD.seq AND NEW.at = OLD.at AND NEW.actor = OLD.actor
        AND NEW.role = OLD.role AND NEW.entity = OLD.entity AND NEW.entity_id = OLD.entity_id
        AND NEW.operation = OLD.operation))
    EXECUTE FUNCTION audit_log_append_only();
