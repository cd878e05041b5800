-- The change feed (`GET /api/v1/changes`): every create, update and delete, in commit order,
-- written in the same transaction as the change (src/db/changes.rs). One row a change serves
-- both feeds: admin's full feed (`op`, `data`: every change, the full representation) and the
-- public feed (`public_op`: `upsert` while the item is public, `delete` when it stops being
-- public, NULL when the public feed has nothing to say; `public_data` only where the public
-- representation differs from `data`). Writers are serialised (SQLite: BEGIN IMMEDIATE;
-- PostgreSQL: one advisory lock per write transaction), so `seq` order is commit order and a
-- reader never skips a row.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    at TEXT NOT NULL,
    op TEXT NOT NULL,
    data TEXT,
    public_op TEXT,
    public_data TEXT
);
CREATE INDEX changes_public ON changes (seq) WHERE public_op IS NOT NULL;
CREATE INDEX changes_entity ON changes (entity, seq);

-- `Idempotency-Key` on POST: the first answer to a key, replayed for 24 hours.
CREATE TABLE idempotency_keys (
    caller TEXT NOT NULL,
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body_hash TEXT,
    status INTEGER,
    headers TEXT,
    body TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
