-- 0010 (issue 13): each event records the definition version its ticket ran on when it was written,
-- so the audit trail labels every past event with its own version (not the ticket's current one).
-- New events get it from their ticket's row as they are inserted (server/store/sqlite_tickets.py).
-- Events from before are filled from the ticket's version history where it is exact: a ticket changes
-- version only by a migration event, which records the versions it moved from and to; an event before
-- the ticket's first migration ran on that migration's "from" version, an event at or after a
-- migration on that migration's "to" version, and the events of a ticket never migrated on the
-- ticket's version. A migration event without those records leaves its neighbours NULL (unknown).
ALTER TABLE events ADD COLUMN definition_version_id INTEGER REFERENCES definition_versions (id);

UPDATE events SET definition_version_id = CASE
    WHEN EXISTS (SELECT 1 FROM events m WHERE m.ticket_id = events.ticket_id AND m.kind = 'migration'
                 AND m.seq <= events.seq)
    THEN (SELECT json_extract(m.data, '$.to_definition_version_id') FROM events m
          WHERE m.ticket_id = events.ticket_id AND m.kind = 'migration' AND m.seq <= events.seq
          ORDER BY m.seq DESC LIMIT 1)
    WHEN EXISTS (SELECT 1 FROM events m WHERE m.ticket_id = events.ticket_id AND m.kind = 'migration')
    THEN (SELECT json_extract(m.data, '$.from_definition_version_id') FROM events m
          WHERE m.ticket_id = events.ticket_id AND m.kind = 'migration'
          ORDER BY m.seq ASC LIMIT 1)
    ELSE (SELECT t.definition_version_id FROM tickets t WHERE t.id = events.ticket_id)
END;

-- Set once, like the seal: an event's version is part of what it records.
CREATE TRIGGER events_version_once BEFORE UPDATE OF definition_version_id ON events
WHEN OLD.definition_version_id IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'an event keeps its definition version');
END;
