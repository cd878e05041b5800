-- The change feed (`GET /api/v1/changes`): every create, update and delete, in commit order,
-- written in the same transaction as the change. Two audiences: `full` (admin) carries every
-- change with the full representation; `public` carries what anonymous and sync callers may see,
-- with an `upsert` when an item becomes or stays public and a `delete` when it stops being
-- public. Writers are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: one advisory lock per
-- write transaction), so `seq` order is commit order and a reader never skips a row.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    audience TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT
);
CREATE INDEX changes_audience ON changes (audience, seq);
CREATE INDEX changes_entity ON changes (audience, entity, seq);

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
