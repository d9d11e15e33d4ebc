-- 0003 log-in sessions, API tokens and the log-in throttle. Secrets are never stored: a session
-- or API token is kept as the SHA-256 (hex) of the token the client holds.

-- Server-side sessions of the pages (cookie khidma_session). expires_at is the absolute end;
-- the idle end is last_seen_at + the configured idle timeout.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Bearer tokens of the API; revoked ones are kept (revoked_at set) for the record.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    last_used_at  TEXT
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

-- Failed log-ins, one row each, keyed by 'user:<username>' and 'address:<client address>'.
CREATE TABLE login_attempts (
    id   INTEGER PRIMARY KEY,
    key  TEXT NOT NULL,
    at   TEXT NOT NULL
) STRICT;
CREATE INDEX login_attempts_key ON login_attempts (key, at);
CREATE INDEX login_attempts_at ON login_attempts (at);
