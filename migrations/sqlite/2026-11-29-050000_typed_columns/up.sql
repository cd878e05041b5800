-- Times are written as diesel writes a `Timestamp` on SQLite (`YYYY-MM-DD HH:MM:SS.ffffff`,
-- UTC), where they were RFC 3339 (`…T…Z`): one form in every row, so that text order stays
-- time order when the trail is filtered by time or old idempotency keys are forgotten. The
-- flags stay INTEGER 0/1, which is how SQLite stores a boolean. The append-only tables are
-- rewritten with their update triggers set aside for the statement, and put back as they were.

UPDATE recommendations SET
    created_at = replace(rtrim(created_at, 'Z'), 'T', ' '),
    updated_at = replace(rtrim(updated_at, 'Z'), 'T', ' ');

UPDATE stakeholders SET
    created_at = replace(rtrim(created_at, 'Z'), 'T', ' '),
    updated_at = replace(rtrim(updated_at, 'Z'), 'T', ' ');

UPDATE activities SET
    created_at = replace(rtrim(created_at, 'Z'), 'T', ' '),
    updated_at = replace(rtrim(updated_at, 'Z'), 'T', ' ');

UPDATE changes SET at = replace(rtrim(at, 'Z'), 'T', ' ');

UPDATE idempotency_keys SET created_at = replace(rtrim(created_at, 'Z'), 'T', ' ');

DROP TRIGGER audit_log_no_update;
UPDATE audit_log SET at = replace(rtrim(at, 'Z'), 'T', ' ');
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

DROP TRIGGER consents_no_update;
UPDATE consents SET recorded_at = replace(rtrim(recorded_at, 'Z'), 'T', ' ');
CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
BEGIN
    SELECT RAISE(ABORT, 'consent records are append-only');
END;
