-- 0007 (issue 10): the audit chain. Each event carries a seal (an HMAC chained to the previous event
-- of its ticket, keyed outside the database: server/audit/chain.py), its format version and one tag
-- per sealed field. Events from before stay NULL until `khidma audit rechain` (or the ticket's next
-- event) seals them; each such sealing is recorded in audit_chain_log.
ALTER TABLE events ADD COLUMN mac TEXT;
ALTER TABLE events ADD COLUMN chain_version INTEGER;
ALTER TABLE events ADD COLUMN field_tags TEXT;

-- Still append-only: no column of an event's content may change, and its seal is set once.
DROP TRIGGER events_no_update;
CREATE TRIGGER events_no_update BEFORE UPDATE OF
    id, ticket_id, seq, at, actor_id, actor_name, actor_department, action, from_state, to_state, data,
    visibility, kind ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_sealed_once BEFORE UPDATE OF mac, chain_version, field_tags ON events
WHEN OLD.mac IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'an event is sealed once');
END;

CREATE TABLE audit_chain_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    reason   TEXT    NOT NULL,
    tickets  INTEGER NOT NULL,
    events   INTEGER NOT NULL
) STRICT;
