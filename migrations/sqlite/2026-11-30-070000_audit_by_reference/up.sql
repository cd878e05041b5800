-- The audit trail keeps no copy of a created item that the change feed holds (src/db/audit.rs).
-- A creation of an item the feed carries leaves `changes` NULL: the item as created is its
-- first change in the feed (which the feed keeps in its row, or serves from the item's row
-- while that change is the item's last). Before compaction removes that change, it writes
-- the item into the entry (`db::sql::statements::compact_changes`): the only update the
-- trail allows, from NULL to the document, once. SQLite changes a column's NOT NULL only by
-- rebuilding the table, as 2026-11-29-070000_interests did.

CREATE TABLE audit_log_new (
    seq INTEGER PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    -- A token's role, or `operator` for the command line (src/db/audit.rs).
    role TEXT NOT NULL CONSTRAINT audit_log_role_check
        CHECK (role IN ('admin', 'state', 'contributor', 'sync', 'operator')),
    -- The kinds of item (src/db/changes.rs, `TYPES`), and `interest`, which the
    -- feed does not carry.
    entity TEXT NOT NULL CONSTRAINT audit_log_entity_check CHECK (entity IN ('recommendation',
        'stakeholder', 'activity', 'consent', 'assistance_request', 'offer', 'interest')),
    entity_id TEXT NOT NULL CONSTRAINT audit_log_entity_id_check
        CHECK ((entity_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    operation TEXT NOT NULL CONSTRAINT audit_log_operation_check
        CHECK (operation IN ('create', 'update', 'delete')),
    -- NULL: a creation whose item is the item's first change in the feed.
    changes TEXT CONSTRAINT audit_log_changes_check
        CHECK (changes IS NOT NULL OR (operation = 'create' AND entity <> 'interest'))
);
INSERT INTO audit_log_new (seq, at, actor, role, entity, entity_id, operation, changes)
SELECT seq, at, actor, role, entity, entity_id, operation, changes FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (OLD.changes IS NULL AND NEW.changes IS NOT NULL AND NEW.seq = OLD.seq
    AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.role = OLD.role
    AND NEW.entity = OLD.entity AND NEW.entity_id = OLD.entity_id
    AND NEW.operation = OLD.operation)
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
