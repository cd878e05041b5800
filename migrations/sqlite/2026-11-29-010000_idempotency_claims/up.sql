-- Who claimed an `Idempotency-Key` ("process-id:request-id", src/idempotency.rs): a claim whose
-- process stopped before answering is cleared when the service starts, and a claim older than
-- the claim timeout is taken over, so a crash never holds a key for a day.
ALTER TABLE idempotency_keys ADD COLUMN claimed_by TEXT;
