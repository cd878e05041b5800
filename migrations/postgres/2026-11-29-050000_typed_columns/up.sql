-- Times are `timestamp` (UTC) and flags `boolean`, where they were the TEXT and INTEGER that
-- both engines once shared. The stored times are RFC 3339 in UTC (`…T…Z`); read as
-- `timestamptz` and taken at UTC, they keep their instant to the microsecond. Every row stays;
-- rewriting a table fires no row trigger, so the append-only tables convert too.

ALTER TABLE recommendations
    ALTER COLUMN created_at TYPE timestamp USING (created_at::timestamptz AT TIME ZONE 'UTC'),
    ALTER COLUMN updated_at TYPE timestamp USING (updated_at::timestamptz AT TIME ZONE 'UTC');

ALTER TABLE stakeholders
    ALTER COLUMN created_at TYPE timestamp USING (created_at::timestamptz AT TIME ZONE 'UTC'),
    ALTER COLUMN updated_at TYPE timestamp USING (updated_at::timestamptz AT TIME ZONE 'UTC');

DROP INDEX activities_public;
ALTER TABLE activities
    ALTER COLUMN created_at TYPE timestamp USING (created_at::timestamptz AT TIME ZONE 'UTC'),
    ALTER COLUMN updated_at TYPE timestamp USING (updated_at::timestamptz AT TIME ZONE 'UTC'),
    ALTER COLUMN good_practice TYPE boolean USING (good_practice <> 0),
    ALTER COLUMN peer_to_peer TYPE boolean USING (peer_to_peer <> 0),
    ALTER COLUMN public TYPE boolean USING (public <> 0);
CREATE INDEX activities_public ON activities (seq) WHERE public;

ALTER TABLE audit_log
    ALTER COLUMN at TYPE timestamp USING (at::timestamptz AT TIME ZONE 'UTC');

ALTER TABLE consents
    ALTER COLUMN recorded_at TYPE timestamp USING (recorded_at::timestamptz AT TIME ZONE 'UTC');

ALTER TABLE changes
    ALTER COLUMN at TYPE timestamp USING (at::timestamptz AT TIME ZONE 'UTC');

ALTER TABLE idempotency_keys
    ALTER COLUMN created_at TYPE timestamp USING (created_at::timestamptz AT TIME ZONE 'UTC');
