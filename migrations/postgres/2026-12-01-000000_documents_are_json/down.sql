ALTER TABLE recommendations DROP CONSTRAINT recommendations_document_is_json;
ALTER TABLE stakeholders DROP CONSTRAINT stakeholders_document_is_json;
ALTER TABLE activities DROP CONSTRAINT activities_document_is_json;
ALTER TABLE consents DROP CONSTRAINT consents_document_is_json;
ALTER TABLE assistance_requests DROP CONSTRAINT assistance_requests_document_is_json;
ALTER TABLE offers DROP CONSTRAINT offers_document_is_json;
ALTER TABLE changes DROP CONSTRAINT changes_data_is_json;
ALTER TABLE changes DROP CONSTRAINT changes_public_data_is_json;
