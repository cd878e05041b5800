-- Back to RFC 3339 (`…T…Z`).

DROP TRIGGER consents_no_update;
UPDATE consents SET recorded_at = replace(recorded_at, ' ', 'T') || 'Z';
CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
BEGIN
    SELECT RAISE(ABORT, 'consent records are append-only');
END;

DROP TRIGGER audit_log_no_update;
UPDATE audit_log SET at = replace(at, ' ', 'T') || 'Z';
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

UPDATE idempotency_keys SET created_at = replace(created_at, ' ', 'T') || 'Z';

UPDATE changes SET at = replace(at, ' ', 'T') || 'Z';

UPDATE activities SET
    created_at = replace(created_at, ' ', 'T') || 'Z',
    updated_at = replace(updated_at, ' ', 'T') || 'Z';

UPDATE stakeholders SET
    created_at = replace(created_at, ' ', 'T') || 'Z',
    updated_at = replace(updated_at, ' ', 'T') || 'Z';

UPDATE recommendations SET
    created_at = replace(created_at, ' ', 'T') || 'Z',
    updated_at = replace(updated_at, ' ', 'T') || 'Z';
