-- What is served as stored (an item by id, a page of a list, the feed's upserts) goes out
-- without being read again: the database refuses a document, or a change's copy of one, that
-- is not JSON, so that the check is made once, when it is written, not on every request
-- that sends it. (The audit trail is read into values as it is served, and checked then.)
CREATE TRIGGER recommendations_document_is_json BEFORE INSERT ON recommendations
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'recommendations.document is not JSON');
END;
CREATE TRIGGER recommendations_document_stays_json BEFORE UPDATE OF document ON recommendations
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'recommendations.document is not JSON');
END;
CREATE TRIGGER stakeholders_document_is_json BEFORE INSERT ON stakeholders
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'stakeholders.document is not JSON');
END;
CREATE TRIGGER stakeholders_document_stays_json BEFORE UPDATE OF document ON stakeholders
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'stakeholders.document is not JSON');
END;
CREATE TRIGGER activities_document_is_json BEFORE INSERT ON activities
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'activities.document is not JSON');
END;
CREATE TRIGGER activities_document_stays_json BEFORE UPDATE OF document ON activities
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'activities.document is not JSON');
END;
CREATE TRIGGER consents_document_is_json BEFORE INSERT ON consents
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'consents.document is not JSON');
END;
CREATE TRIGGER consents_document_stays_json BEFORE UPDATE OF document ON consents
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'consents.document is not JSON');
END;
CREATE TRIGGER assistance_requests_document_is_json BEFORE INSERT ON assistance_requests
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'assistance_requests.document is not JSON');
END;
CREATE TRIGGER assistance_requests_document_stays_json BEFORE UPDATE OF document ON assistance_requests
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'assistance_requests.document is not JSON');
END;
CREATE TRIGGER offers_document_is_json BEFORE INSERT ON offers
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'offers.document is not JSON');
END;
CREATE TRIGGER offers_document_stays_json BEFORE UPDATE OF document ON offers
WHEN NOT json_valid(NEW.document)
BEGIN
    SELECT RAISE(ABORT, 'offers.document is not JSON');
END;
CREATE TRIGGER changes_data_is_json BEFORE INSERT ON changes
WHEN NOT json_valid(NEW.data) OR NOT json_valid(NEW.public_data)
BEGIN
    SELECT RAISE(ABORT, 'changes.data or changes.public_data is not JSON');
END;
CREATE TRIGGER changes_data_stays_json BEFORE UPDATE OF data, public_data ON changes
WHEN NOT json_valid(NEW.data) OR NOT json_valid(NEW.public_data)
BEGIN
    SELECT RAISE(ABORT, 'changes.data or changes.public_data is not JSON');
END;
