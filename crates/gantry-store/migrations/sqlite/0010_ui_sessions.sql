-- Web UI sign-in sessions. The cookie carries a random token; only its
-- SHA-256 is kept, so a copy of the database signs nobody in. A session is
-- valid while the user is enabled and their password_changed_at still equals
-- the one seen at sign-in, so disabling a user or changing a password ends
-- every session on every node without a cache to clear.
-- Keep in step with migrations/postgres.
CREATE TABLE ui_sessions (
    token_hash           TEXT    PRIMARY KEY,
    user_id              INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_changed_at  INTEGER NOT NULL,
    csrf_token           TEXT    NOT NULL,
    created_at           INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL
);

CREATE INDEX ui_sessions_expiry ON ui_sessions (expires_at);
