ALTER TABLE consents DROP COLUMN granted_content;
