-- The feed serves an item's last change from the item's row (2026-11-30-060000_feed_by_reference):
-- that holds only while every change of an item comes with a write of its document, whose
-- trigger first copies the old document into the change before. A change recorded without
-- one would leave the earlier change showing the item as it is now, on the public feed too
-- (an item since hidden). The database refuses such a change, so that a write that forgets
-- the document fails instead of rewriting what the feed said.
CREATE FUNCTION changes_follow_a_document_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changes c
        WHERE c.entity = NEW.entity AND c.entity_id = NEW.entity_id
            AND c.op = 'upsert' AND c.data IS NULL) THEN
        RAISE EXCEPTION 'a change of an item whose document was not written: its last change still reads the item from its row';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER changes_follow_a_document_write BEFORE INSERT ON changes
    FOR EACH ROW EXECUTE FUNCTION changes_follow_a_document_write();
