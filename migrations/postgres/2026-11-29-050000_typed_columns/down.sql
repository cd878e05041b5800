-- Back to RFC 3339 text in UTC and 0/1 integers.

ALTER TABLE idempotency_keys
    ALTER COLUMN created_at TYPE text USING to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

ALTER TABLE changes
    ALTER COLUMN at TYPE text USING to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

ALTER TABLE consents
    ALTER COLUMN recorded_at TYPE text USING to_char(recorded_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

ALTER TABLE audit_log
    ALTER COLUMN at TYPE text USING to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

DROP INDEX activities_public;
ALTER TABLE activities
    ALTER COLUMN created_at TYPE text USING to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    ALTER COLUMN updated_at TYPE text USING to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    ALTER COLUMN good_practice TYPE integer USING (CASE WHEN good_practice THEN 1 ELSE 0 END),
    ALTER COLUMN peer_to_peer TYPE integer USING (CASE WHEN peer_to_peer THEN 1 ELSE 0 END),
    ALTER COLUMN public TYPE integer USING (CASE WHEN public THEN 1 ELSE 0 END);
CREATE INDEX activities_public ON activities (seq) WHERE public = 1;

ALTER TABLE stakeholders
    ALTER COLUMN created_at TYPE text USING to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    ALTER COLUMN updated_at TYPE text USING to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

ALTER TABLE recommendations
    ALTER COLUMN created_at TYPE text USING to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    ALTER COLUMN updated_at TYPE text USING to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
