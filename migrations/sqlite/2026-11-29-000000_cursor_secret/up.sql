-- The secret that cursors are encrypted with (docs/decisions/0007-opaque-cursors.md): made once,
-- here, so every instance on this database shares it, whatever keys verify tokens.
CREATE TABLE cursor_secret (
    singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    secret TEXT NOT NULL
);
INSERT INTO cursor_secret (singleton, secret) VALUES (1, lower(hex(randomblob(32))));
