-- The change feed keeps no copy of what an item's row already stores (src/db/changes.rs).
-- The last upsert of an item leaves `data` NULL: the feed serves the row's `document`, which
-- is the item as that change left it, since every later write of the document is a later
-- change. Before a row's document is written again or the row deleted, the triggers below
-- copy the document into that change, so an older change always shows the item as it was.
-- One copy of each item instead of two; a compacted feed keeps almost none.

CREATE TABLE changes_new (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    entity TEXT NOT NULL CONSTRAINT changes_entity_check CHECK (entity IN ('recommendation',
        'stakeholder', 'activity', 'consent', 'assistance_request', 'offer')),
    entity_id TEXT NOT NULL CONSTRAINT changes_entity_id_check
        CHECK ((entity_id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]')),
    at TEXT NOT NULL,
    op TEXT NOT NULL CONSTRAINT changes_op_check CHECK (op IN ('upsert', 'delete')),
    -- An upsert carries the item, or NULL for the item as its row stores it; a deletion nothing.
    data TEXT CONSTRAINT changes_data_check CHECK (op = 'upsert' OR data IS NULL),
    public_op TEXT CONSTRAINT changes_public_op_check CHECK (public_op IN ('upsert', 'delete')),
    -- Only a public upsert carries a public representation (when it differs from `data`).
    public_data TEXT CONSTRAINT changes_public_data_check
        CHECK (public_data IS NULL OR public_op = 'upsert')
);
INSERT INTO changes_new (seq, entity, entity_id, at, op, data, public_op, public_data)
SELECT seq, entity, entity_id, at, op, data, public_op, public_data FROM changes;
-- AUTOINCREMENT's high-water mark goes with the table: a feed position is never given twice.
DELETE FROM sqlite_sequence WHERE name = 'changes_new';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'changes_new', seq FROM sqlite_sequence WHERE name = 'changes';
DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;
CREATE INDEX changes_public ON changes (seq) WHERE public_op IS NOT NULL;
CREATE INDEX changes_entity ON changes (entity, seq);
CREATE INDEX changes_item ON changes (entity, entity_id, seq);

-- recommendations: the last change of each item gives up its copy when the row holds the same.
UPDATE changes SET data = NULL
WHERE entity = 'recommendation' AND op = 'upsert'
    AND data = (SELECT document FROM recommendations t WHERE t.id = changes.entity_id)
    AND NOT EXISTS (SELECT 1 FROM changes l
        WHERE l.entity = changes.entity AND l.entity_id = changes.entity_id AND l.seq > changes.seq);
CREATE TRIGGER recommendations_keep_fed_document BEFORE UPDATE OF document ON recommendations
WHEN OLD.document IS NOT NEW.document
BEGIN
    UPDATE changes SET data = OLD.document
    WHERE entity = 'recommendation' AND entity_id = OLD.id AND op = 'upsert' AND data IS NULL;
END;
CREATE TRIGGER recommendations_keep_fed_document_deleted BEFORE DELETE ON recommendations
BEGIN
    UPDATE changes SET data = OLD.document
    WHERE entity = 'recommendation' AND entity_id = OLD.id AND op = 'upsert' AND data IS NULL;
END;

-- stakeholders: the last change of each item gives up its copy when the row holds the same.
UPDATE changes SET data = NULL
WHERE entity = 'stakeholder' AND op = 'upsert'
    AND data = (SELECT document FROM stakeholders t WHERE t.id = changes.entity_id)
    AND NOT EXISTS (SELECT 1 FROM changes l
        WHERE l.entity = changes.entity AND l.entity_id = changes.entity_id AND l.seq > changes.seq);
CREATE TRIGGER stakeholders_keep_fed_document BEFORE UPDATE OF document ON stakeholders
WHEN OLD.document IS NOT NEW.document
BEGIN
    UPDATE changes SET data = OLD.document
    WHERE entity = 'stakeholder' AND entity_id = OLD.id AND op = 'upsert' AND data IS NULL;
END;
CREATE TRIGGER stakeholders_keep_fed_document_deleted BEFORE DELETE ON stakeholders
BEGIN
    UPDATE changes SET data = OLD.document
    WHERE entity = 'stakeholder' AND entity_id = OLD.id AND op = 'upsert' AND data IS NULL;
END;

-- activities: the last change of each item gives up its copy when the row holds the same.
UPDATE changes SET data = NULL
WHERE entity = 'activity' AND op = 'upsert'
    AND data = (SELECT document FROM activities t WHERE t.id = changes.entity_id)
    AND NOT EXISTS (SELECT 1 FROM changes l
        WHERE l.entity = changes.entity AND l.entity_id = changes.entity_id AND l.seq > changes.seq);
CREATE TRIGGER activities_keep_fed_document BEFORE UPDATE OF document ON activities
WHEN OLD.document IS NOT NEW.document
BEGIN
    UPDATE changes SET data = OLD.document
    WHERE entity = 'activity' AND entity_id = OLD.id AND op = 'upsert' AND data IS NULL;
END;
CREATE TRIGGER activities_keep_fed_document_deleted BEFORE DELETE ON activities
BEGIN
    UPDATE changes SET data = OLD.document
    WHERE entity = 'activity' AND entity_id = OLD.id AND op = 'upsert' AND data IS NULL;
END;

-- assistance_requests: the last change of each item gives up its copy when the row holds the same.
UPDATE changes SET data = NULL
WHERE entity = 'assistance_request' AND op = 'upsert'
    AND data = (SELECT document FROM assistance_requests t WHERE t.id = changes.entity_id)
    AND NOT EXISTS (SELECT 1 FROM changes l
        WHERE l.entity = changes.entity AND l.entity_id = changes.entity_id AND l.seq > changes.seq);
CREATE TRIGGER assistance_requests_keep_fed_document BEFORE UPDATE OF document ON assistance_requests
WHEN OLD.document IS NOT NEW.document
BEGIN
    UPDATE changes SET data = OLD.document
    WHERE entity = 'assistance_request' AND entity_id = OLD.id AND op = 'upsert' AND data IS NULL;
END;
CREATE TRIGGER assistance_requests_keep_fed_document_deleted BEFORE DELETE ON assistance_requests
BEGIN
    UPDATE changes SET data = OLD.document
    WHERE entity = 'assistance_request' AND entity_id = OLD.id AND op = 'upsert' AND data IS NULL;
END;

-- offers: the last change of each item gives up its copy when the row holds the same.
UPDATE changes SET data = NULL
WHERE entity = 'offer' AND op = 'upsert'
    AND data = (SELECT document FROM offers t WHERE t.id = changes.entity_id)
    AND NOT EXISTS (SELECT 1 FROM changes l
        WHERE l.entity = changes.entity AND l.entity_id = changes.entity_id AND l.seq > changes.seq);
CREATE TRIGGER offers_keep_fed_document BEFORE UPDATE OF document ON offers
WHEN OLD.document IS NOT NEW.document
BEGIN
    UPDATE changes SET data = OLD.document
    WHERE entity = 'offer' AND entity_id = OLD.id AND op = 'upsert' AND data IS NULL;
END;
CREATE TRIGGER offers_keep_fed_document_deleted BEFORE DELETE ON offers
BEGIN
    UPDATE changes SET data = OLD.document
    WHERE entity = 'offer' AND entity_id = OLD.id AND op = 'upsert' AND data IS NULL;
END;

-- consents: a record is never changed nor deleted (consents_no_update, consents_no_delete).
UPDATE changes SET data = NULL
WHERE entity = 'consent' AND op = 'upsert'
    AND data = (SELECT document FROM consents t WHERE t.id = changes.entity_id);
