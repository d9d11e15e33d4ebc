-- Scheduled reports by e-mail (issue 11).
--
-- 1. The outbox takes messages that belong to no ticket (a report sent to a department head): ticket_id
--    and event_id become nullable, and a message may carry an HTML alternative (``html``) and files
--    (``outbox_attachments``). SQLite cannot drop NOT NULL in place, so the table is rebuilt by the
--    documented procedure (new table, copy, drop, rename; references checked before commit by migrate).
-- 2. ``report_runs``: one row per report and period sent — the idempotency key, written in the
--    transaction that queues the run's messages, so a run is queued once or not at all.
--    ``report_deliveries``: who got which message of a run (UNIQUE report + period + recipient).
-- 3. ``report_schedules``: when the scheduler first saw each report — it never makes up a period due
--    before that (a new installation does not send last semester's report).
-- 4. ``leases``: a named lease (holder, expiry), taken in a BEGIN IMMEDIATE transaction, so that of two
--    server processes on one file only one runs the scheduler at a time.
-- 5. The index the weekly report reads over a large table (docs/performance.md, "Reports").
PRAGMA defer_foreign_keys = ON;

CREATE TABLE outbox_new (
    id                  INTEGER PRIMARY KEY,
    ticket_id           INTEGER REFERENCES tickets (id),
    event_id            INTEGER REFERENCES events (id),
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
    updated_at          TEXT    NOT NULL,
    html                TEXT,
    CHECK ((ticket_id IS NULL) = (event_id IS NULL))
) STRICT;

INSERT INTO outbox_new (id, ticket_id, event_id, created_at, channel, recipient, template, language,
                        subject, body, status, attempts, next_attempt_at, gateway_request_id, sent_at,
                        last_error, updated_at)
SELECT id, ticket_id, event_id, created_at, channel, recipient, template, language, subject, body, status,
       attempts, next_attempt_at, gateway_request_id, sent_at, last_error, updated_at
FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_ticket ON outbox (ticket_id, id);

CREATE TABLE outbox_attachments (
    id            INTEGER PRIMARY KEY,
    message_id    INTEGER NOT NULL REFERENCES outbox (id),
    position      INTEGER NOT NULL,
    filename      TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    content       BLOB    NOT NULL,
    UNIQUE (message_id, position)
) STRICT;

CREATE TABLE report_runs (
    report      TEXT NOT NULL,
    period      TEXT NOT NULL,
    queued_at   TEXT NOT NULL,
    queued_by   TEXT NOT NULL,
    messages    INTEGER NOT NULL,
    PRIMARY KEY (report, period)
) STRICT;

CREATE TABLE report_deliveries (
    report      TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    department  TEXT,
    message_id  INTEGER NOT NULL REFERENCES outbox (id),
    UNIQUE (report, period, recipient),
    FOREIGN KEY (report, period) REFERENCES report_runs (report, period)
) STRICT;

CREATE TABLE report_schedules (
    report      TEXT PRIMARY KEY,
    since       TEXT NOT NULL
) STRICT;

CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) STRICT;

-- The reports on the state of things (server/store/sqlite_reports.py, _counted and _LAST_EVENT): the
-- tickets not closed, and those closed since a period's start, by service, with every column a report
-- reads; and each ticket's events by sequence with their time and state, so the state a ticket was in at
-- a moment is read from the index alone. docs/performance.md, "Reports at a million tickets".
CREATE INDEX tickets_report ON tickets (service_id, closed_at, created_at, category, state, channel, number, updated_at);
CREATE INDEX events_report ON events (ticket_id, seq, at, to_state);
