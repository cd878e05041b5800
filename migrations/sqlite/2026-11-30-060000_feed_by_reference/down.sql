-- Every change carries its item again.
DROP TRIGGER recommendations_keep_fed_document;
DROP TRIGGER recommendations_keep_fed_document_deleted;
DROP TRIGGER stakeholders_keep_fed_document;
DROP TRIGGER stakeholders_keep_fed_document_deleted;
DROP TRIGGER activities_keep_fed_document;
DROP TRIGGER activities_keep_fed_document_deleted;
DROP TRIGGER assistance_requests_keep_fed_document;
DROP TRIGGER assistance_requests_keep_fed_document_deleted;
DROP TRIGGER offers_keep_fed_document;
DROP TRIGGER offers_keep_fed_document_deleted;

CREATE TABLE changes_new (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    entity TEXT NOT NULL CONSTRAINT changes_entity_check CHECK (entity IN ('recommendation',
        'stakeholder', 'activity', 'consent', 'assistance_request', 'offer')),
    entity_id TEXT NOT NULL CONSTRAINT changes_entity_id_check
        CHECK ((entity_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    at TEXT NOT NULL,
    op TEXT NOT NULL CONSTRAINT changes_op_check CHECK (op IN ('upsert', 'delete')),
    -- An upsert carries the item; a deletion nothing.
    data TEXT CONSTRAINT changes_data_check CHECK ((op = 'upsert') = (data IS NOT NULL)),
    public_op TEXT CONSTRAINT changes_public_op_check CHECK (public_op IN ('upsert', 'delete')),
    -- Only a public upsert carries a public representation (when it differs from `data`).
    public_data TEXT CONSTRAINT changes_public_data_check
        CHECK (public_data IS NULL OR public_op = 'upsert')
);
INSERT INTO changes_new (seq, entity, entity_id, at, op, data, public_op, public_data)
SELECT c.seq, c.entity, c.entity_id, c.at, c.op,
    CASE WHEN c.op = 'upsert' THEN COALESCE(c.data, CASE c.entity
        WHEN 'recommendation' THEN (SELECT document FROM recommendations t WHERE t.id = c.entity_id)
        WHEN 'stakeholder' THEN (SELECT document FROM stakeholders t WHERE t.id = c.entity_id)
        WHEN 'activity' THEN (SELECT document FROM activities t WHERE t.id = c.entity_id)
        WHEN 'assistance_request' THEN (SELECT document FROM assistance_requests t WHERE t.id = c.entity_id)
        WHEN 'offer' THEN (SELECT document FROM offers t WHERE t.id = c.entity_id)
        WHEN 'consent' THEN (SELECT document FROM consents t WHERE t.id = c.entity_id)
    END) END,
    c.public_op, c.public_data
FROM changes c;
DELETE FROM sqlite_sequence WHERE name = 'changes_new';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'changes_new', seq FROM sqlite_sequence WHERE name = 'changes';
DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;
CREATE INDEX changes_public ON changes (seq) WHERE public_op IS NOT NULL;
CREATE INDEX changes_entity ON changes (entity, seq);
CREATE INDEX changes_item ON changes (entity, entity_id, seq);
