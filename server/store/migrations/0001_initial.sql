-- 0001 initial schema. Forward-only: never edit a released migration, add the next one.
-- Times are ISO-8601 UTC text ('2026-05-01T09:30:00.000000+00:00', fixed width, so text order is
-- time order); JSON documents are text checked with json_valid(). Tables are STRICT (typed columns).

-- Published definitions: immutable versions, one row per (service, version).
CREATE TABLE definition_versions (
    id            INTEGER PRIMARY KEY,
    service_id    TEXT    NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    content_hash  TEXT    NOT NULL,
    bundle        TEXT    NOT NULL CHECK (json_valid(bundle)),
    created_at    TEXT    NOT NULL,
    created_by    TEXT,
    note          TEXT    NOT NULL DEFAULT '',
    UNIQUE (service_id, version)
) STRICT;
CREATE INDEX definition_versions_content_hash ON definition_versions (content_hash);

CREATE TRIGGER definition_versions_no_update BEFORE UPDATE ON definition_versions
BEGIN
    SELECT RAISE(ABORT, 'published definition versions are immutable');
END;
CREATE TRIGGER definition_versions_no_delete BEFORE DELETE ON definition_versions
BEGIN
    SELECT RAISE(ABORT, 'published definition versions are immutable');
END;

-- Per-year counter behind the human-readable ticket number YYYY-NNNNNN.
CREATE TABLE ticket_counters (
    year  INTEGER PRIMARY KEY,
    last  INTEGER NOT NULL CHECK (last >= 0)
) STRICT;

CREATE TABLE tickets (
    id                     INTEGER PRIMARY KEY,
    number                 TEXT    NOT NULL UNIQUE,
    tracking_code          TEXT    NOT NULL UNIQUE,
    service_id             TEXT    NOT NULL,
    definition_version_id  INTEGER NOT NULL REFERENCES definition_versions (id),
    state                  TEXT    NOT NULL,
    category               TEXT    NOT NULL,
    department             TEXT,
    assignee_role          TEXT,
    assignee_user          TEXT,
    channel                TEXT    NOT NULL,
    requester_id           TEXT,
    data                   TEXT    NOT NULL CHECK (json_valid(data)),
    vars                   TEXT    NOT NULL CHECK (json_valid(vars)),
    version                INTEGER NOT NULL CHECK (version >= 1),
    created_at             TEXT    NOT NULL,
    updated_at             TEXT    NOT NULL,
    closed_at              TEXT,
    idempotency_key        TEXT    UNIQUE
) STRICT;
CREATE INDEX tickets_department_queue ON tickets (department, category, updated_at);
CREATE INDEX tickets_assignee_user ON tickets (assignee_user, category);
CREATE INDEX tickets_service_created ON tickets (service_id, created_at);
CREATE INDEX tickets_state ON tickets (state);
CREATE INDEX tickets_requester ON tickets (requester_id, created_at);

-- A ticket's history. Append-only: the triggers below refuse UPDATE and DELETE.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    at          TEXT    NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    from_state  TEXT,
    to_state    TEXT    NOT NULL,
    data        TEXT    NOT NULL CHECK (json_valid(data)),
    visibility  TEXT    NOT NULL CHECK (visibility IN ('public', 'internal')),
    kind        TEXT    NOT NULL CHECK (kind IN ('created', 'action', 'timer', 'migration')),
    UNIQUE (ticket_id, seq)
) STRICT;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

-- One row per change of the ticket's holder (department / role / user).
CREATE TABLE assignments (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    event_id    INTEGER NOT NULL REFERENCES events (id),
    at          TEXT    NOT NULL,
    department  TEXT,
    role        TEXT,
    user_id     TEXT
) STRICT;
CREATE INDEX assignments_ticket ON assignments (ticket_id, id);

-- The transactional outbox. gateway_request_id is generated at insert and kept across retries.
CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY,
    ticket_id           INTEGER NOT NULL REFERENCES tickets (id),
    event_id            INTEGER NOT NULL REFERENCES events (id),
    created_at          TEXT    NOT NULL,
    channel             TEXT    NOT NULL,
    recipient           TEXT    NOT NULL,
    template            TEXT    NOT NULL,
    language            TEXT    NOT NULL,
    subject             TEXT    NOT NULL,
    body                TEXT    NOT NULL,
    status              TEXT    NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead')),
    attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at     TEXT    NOT NULL,
    gateway_request_id  TEXT    NOT NULL UNIQUE,
    sent_at             TEXT,
    last_error          TEXT,
    updated_at          TEXT    NOT NULL
) STRICT;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_ticket ON outbox (ticket_id, id);

CREATE TABLE timers (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    timer      TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    due_at     TEXT    NOT NULL,
    status     TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'fired', 'cancelled'))
) STRICT;
CREATE INDEX timers_due ON timers (status, due_at);
CREATE INDEX timers_ticket ON timers (ticket_id, status);

-- Attachment metadata; the bytes live on disk under attachments_dir/sha[:2]/sha.
CREATE TABLE attachments (
    id          TEXT    PRIMARY KEY,
    ticket_id   INTEGER REFERENCES tickets (id),
    field       TEXT    NOT NULL,
    filename    TEXT    NOT NULL,
    media_type  TEXT    NOT NULL,
    size        INTEGER NOT NULL CHECK (size >= 0),
    sha256      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX attachments_ticket ON attachments (ticket_id);
CREATE INDEX attachments_sha256 ON attachments (sha256);

CREATE TABLE users (
    id             TEXT    PRIMARY KEY,
    username       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT    NOT NULL,
    email          TEXT,
    phone          TEXT,
    department     TEXT,
    password_hash  TEXT,
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at     TEXT    NOT NULL
) STRICT;
CREATE INDEX users_department ON users (department);

CREATE TABLE user_roles (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_roles_role ON user_roles (role, user_id);

-- Admin-managed lookup tables (custody ledger, colleges, buildings): one JSON row per entry.
CREATE TABLE lookup_rows (
    id          INTEGER PRIMARY KEY,
    table_name  TEXT NOT NULL,
    key         TEXT NOT NULL,
    row_json    TEXT NOT NULL CHECK (json_valid(row_json))
) STRICT;
CREATE INDEX lookup_rows_key ON lookup_rows (table_name, key);

-- The knowledge bank of ready replies.
CREATE TABLE ready_replies (
    id        INTEGER PRIMARY KEY,
    title_ar  TEXT    NOT NULL,
    title_en  TEXT    NOT NULL,
    body_ar   TEXT    NOT NULL,
    body_en   TEXT    NOT NULL,
    tags      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
    active    INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
) STRICT;
