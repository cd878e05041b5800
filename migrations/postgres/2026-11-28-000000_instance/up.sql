-- One row that names this installation: partners see the id in the change feed and exports,
-- so two repositories (a ministry's laptop, OHCHR's cluster) are never mistaken for each other.
CREATE TABLE instance (
    singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    id TEXT NOT NULL DEFAULT gen_random_uuid()::text,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO instance (singleton) VALUES (1);
