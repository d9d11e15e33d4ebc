-- Inbound channels (issue 12): the integrations' API keys and the inbound e-mail messages.
--
-- An integration (Tawasul, Itqan, the mail gateway) authenticates with a key of its own, kept only as
-- a SHA-256 hash and revocable. Idempotency on an integration's external ticket number needs no table
-- of its own: the ticket's UNIQUE idempotency_key is "integration:<channel>:<external number>".
CREATE TABLE integration_keys (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    channel       TEXT    NOT NULL,
    key_hash      TEXT    NOT NULL UNIQUE,
    created_at    TEXT    NOT NULL,
    revoked_at    TEXT,
    last_used_at  TEXT
) STRICT;

-- Every inbound e-mail seen, by its Message-ID: duplicates are recognised, and a reply whose
-- In-Reply-To or References names one of these is threaded into its ticket. ``outcome`` says what
-- became of it: 'created' (a new ticket), 'threaded' (added to a ticket), 'ignored' (an auto-reply or
-- a bounce), 'refused' (nothing could be made of it).
CREATE TABLE inbound_messages (
    message_id   TEXT    PRIMARY KEY,
    ticket_id    INTEGER REFERENCES tickets (id),
    outcome      TEXT    NOT NULL CHECK (outcome IN ('created', 'threaded', 'ignored', 'refused')),
    received_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX inbound_messages_ticket ON inbound_messages (ticket_id);
