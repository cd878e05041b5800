-- What is served as stored (an item by id, a page of a list, the feed's upserts) goes out
-- without being read again: the database refuses a document, or a change's copy of one, that
-- is not JSON, so that the check is made once, when it is written, not on every request
-- that sends it: a text that is not JSON fails its cast. (The audit trail is read into values
-- as it is served, and checked then.)
ALTER TABLE recommendations ADD CONSTRAINT recommendations_document_is_json CHECK (document::json IS NOT NULL);
ALTER TABLE stakeholders ADD CONSTRAINT stakeholders_document_is_json CHECK (document::json IS NOT NULL);
ALTER TABLE activities ADD CONSTRAINT activities_document_is_json CHECK (document::json IS NOT NULL);
ALTER TABLE consents ADD CONSTRAINT consents_document_is_json CHECK (document::json IS NOT NULL);
ALTER TABLE assistance_requests ADD CONSTRAINT assistance_requests_document_is_json CHECK (document::json IS NOT NULL);
ALTER TABLE offers ADD CONSTRAINT offers_document_is_json CHECK (document::json IS NOT NULL);
ALTER TABLE changes ADD CONSTRAINT changes_data_is_json
    CHECK (data::json IS NOT NULL OR data IS NULL);
ALTER TABLE changes ADD CONSTRAINT changes_public_data_is_json
    CHECK (public_data::json IS NOT NULL OR public_data IS NULL);
