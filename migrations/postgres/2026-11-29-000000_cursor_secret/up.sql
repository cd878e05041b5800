-- The secret that cursors are encrypted with (docs/decisions/0007-opaque-cursors.md): made once,
-- here, so every instance on this database shares it, whatever keys verify tokens.
-- gen_random_uuid() draws from the server's strong random source (122 random bits each).
CREATE TABLE cursor_secret (
    singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    secret TEXT NOT NULL
);
INSERT INTO cursor_secret (singleton, secret)
VALUES (1, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
