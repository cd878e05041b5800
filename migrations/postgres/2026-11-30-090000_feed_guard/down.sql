DROP TRIGGER changes_follow_a_document_write ON changes;
DROP FUNCTION changes_follow_a_document_write();
