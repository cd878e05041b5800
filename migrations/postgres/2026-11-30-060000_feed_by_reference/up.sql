-- The change feed keeps no copy of what an item's row already stores (src/db/changes.rs).
-- The last upsert of an item leaves `data` NULL: the feed serves the row's `document`, which
-- is the item as that change left it, since every later write of the document is a later
-- change. Before a row's document is written again or the row deleted, the trigger below
-- copies the document into that change, so an older change always shows the item as it was.
-- One copy of each item instead of two; a compacted feed keeps almost none.

ALTER TABLE changes
    DROP CONSTRAINT changes_data_check,
    -- An upsert carries the item, or NULL for the item as its row stores it; a deletion nothing.
    ADD CONSTRAINT changes_data_check CHECK (op = 'upsert' OR data IS NULL);

-- TG_ARGV[0]: the kind of item the table holds.
CREATE FUNCTION keep_fed_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE changes SET data = OLD.document
    WHERE entity = TG_ARGV[0] AND entity_id = OLD.id AND op = 'upsert' AND data IS NULL;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

-- recommendations: the last change of each item gives up its copy when the row holds the same.
UPDATE changes SET data = NULL
WHERE entity = 'recommendation' AND op = 'upsert'
    AND data = (SELECT document FROM recommendations t WHERE t.id = changes.entity_id)
    AND NOT EXISTS (SELECT 1 FROM changes l
        WHERE l.entity = changes.entity AND l.entity_id = changes.entity_id AND l.seq > changes.seq);
CREATE TRIGGER recommendations_keep_fed_document BEFORE UPDATE OF document ON recommendations
    FOR EACH ROW WHEN (OLD.document IS DISTINCT FROM NEW.document)
    EXECUTE FUNCTION keep_fed_document('recommendation');
CREATE TRIGGER recommendations_keep_fed_document_deleted BEFORE DELETE ON recommendations
    FOR EACH ROW EXECUTE FUNCTION keep_fed_document('recommendation');

-- stakeholders: the last change of each item gives up its copy when the row holds the same.
UPDATE changes SET data = NULL
WHERE entity = 'stakeholder' AND op = 'upsert'
    AND data = (SELECT document FROM stakeholders t WHERE t.id = changes.entity_id)
    AND NOT EXISTS (SELECT 1 FROM changes l
        WHERE l.entity = changes.entity AND l.entity_id = changes.entity_id AND l.seq > changes.seq);
CREATE TRIGGER stakeholders_keep_fed_document BEFORE UPDATE OF document ON stakeholders
    FOR EACH ROW WHEN (OLD.document IS DISTINCT FROM NEW.document)
    EXECUTE FUNCTION keep_fed_document('stakeholder');
CREATE TRIGGER stakeholders_keep_fed_document_deleted BEFORE DELETE ON stakeholders
    FOR EACH ROW EXECUTE FUNCTION keep_fed_document('stakeholder');

-- activities: the last change of each item gives up its copy when the row holds the same.
UPDATE changes SET data = NULL
WHERE entity = 'activity' AND op = 'upsert'
    AND data = (SELECT document FROM activities t WHERE t.id = changes.entity_id)
    AND NOT EXISTS (SELECT 1 FROM changes l
        WHERE l.entity = changes.entity AND l.entity_id = changes.entity_id AND l.seq > changes.seq);
CREATE TRIGGER activities_keep_fed_document BEFORE UPDATE OF document ON activities
    FOR EACH ROW WHEN (OLD.document IS DISTINCT FROM NEW.document)
    EXECUTE FUNCTION keep_fed_document('activity');
CREATE TRIGGER activities_keep_fed_document_deleted BEFORE DELETE ON activities
    FOR EACH ROW EXECUTE FUNCTION keep_fed_document('activity');

-- assistance_requests: the last change of each item gives up its copy when the row holds the same.
UPDATE changes SET data = NULL
WHERE entity = 'assistance_request' AND op = 'upsert'
    AND data = (SELECT document FROM assistance_requests t WHERE t.id = changes.entity_id)
    AND NOT EXISTS (SELECT 1 FROM changes l
        WHERE l.entity = changes.entity AND l.entity_id = changes.entity_id AND l.seq > changes.seq);
CREATE TRIGGER assistance_requests_keep_fed_document BEFORE UPDATE OF document ON assistance_requests
    FOR EACH ROW WHEN (OLD.document IS DISTINCT FROM NEW.document)
    EXECUTE FUNCTION keep_fed_document('assistance_request');
CREATE TRIGGER assistance_requests_keep_fed_document_deleted BEFORE DELETE ON assistance_requests
    FOR EACH ROW EXECUTE FUNCTION keep_fed_document('assistance_request');

-- offers: the last change of each item gives up its copy when the row holds the same.
UPDATE changes SET data = NULL
WHERE entity = 'offer' AND op = 'upsert'
    AND data = (SELECT document FROM offers t WHERE t.id = changes.entity_id)
    AND NOT EXISTS (SELECT 1 FROM changes l
        WHERE l.entity = changes.entity AND l.entity_id = changes.entity_id AND l.seq > changes.seq);
CREATE TRIGGER offers_keep_fed_document BEFORE UPDATE OF document ON offers
    FOR EACH ROW WHEN (OLD.document IS DISTINCT FROM NEW.document)
    EXECUTE FUNCTION keep_fed_document('offer');
CREATE TRIGGER offers_keep_fed_document_deleted BEFORE DELETE ON offers
    FOR EACH ROW EXECUTE FUNCTION keep_fed_document('offer');

-- consents: a record is never changed nor deleted (consents_append_only).
UPDATE changes SET data = NULL
WHERE entity = 'consent' AND op = 'upsert'
    AND data = (SELECT document FROM consents t WHERE t.id = changes.entity_id);
