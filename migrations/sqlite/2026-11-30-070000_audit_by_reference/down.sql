-- Every creation entry carries its item again.
DROP TRIGGER audit_log_no_update;
UPDATE audit_log SET changes = '{"after":' || (SELECT COALESCE(c.data, CASE c.entity
        WHEN 'recommendation' THEN (SELECT document FROM recommendations t WHERE t.id = c.entity_id)
        WHEN 'stakeholder' THEN (SELECT document FROM stakeholders t WHERE t.id = c.entity_id)
        WHEN 'activity' THEN (SELECT document FROM activities t WHERE t.id = c.entity_id)
        WHEN 'consent' THEN (SELECT document FROM consents t WHERE t.id = c.entity_id)
        WHEN 'assistance_request' THEN (SELECT document FROM assistance_requests t WHERE t.id = c.entity_id)
        WHEN 'offer' THEN (SELECT document FROM offers t WHERE t.id = c.entity_id)
    END) FROM changes c
    WHERE c.entity = audit_log.entity AND c.entity_id = audit_log.entity_id
    ORDER BY c.seq LIMIT 1) || '}'
WHERE changes IS NULL;
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
    changes TEXT NOT NULL
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
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
