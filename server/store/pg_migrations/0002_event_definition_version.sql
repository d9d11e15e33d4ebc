-- 0002 (issue 13; SQLite's 0010): each event records the definition version its ticket ran on when it
-- was written, so the audit trail labels every past event with its own version. New events get it from
-- their ticket's row as they are inserted (server/store/postgres_tickets.py). Events from before are
-- filled from the ticket's version history where it is exact (see SQLite's 0010 for the rule); a
-- migration event without its "from"/"to" records leaves its neighbours NULL (unknown).
ALTER TABLE events ADD COLUMN definition_version_id bigint REFERENCES definition_versions (id);

ALTER TABLE events DISABLE TRIGGER events_append_only;
UPDATE events SET definition_version_id = CASE
    WHEN EXISTS (SELECT 1 FROM events m WHERE m.ticket_id = events.ticket_id AND m.kind = 'migration'
                 AND m.seq <= events.seq)
    THEN (SELECT (m.data::jsonb ->> 'to_definition_version_id')::bigint FROM events m
          WHERE m.ticket_id = events.ticket_id AND m.kind = 'migration' AND m.seq <= events.seq
          ORDER BY m.seq DESC LIMIT 1)
    WHEN EXISTS (SELECT 1 FROM events m WHERE m.ticket_id = events.ticket_id AND m.kind = 'migration')
    THEN (SELECT (m.data::jsonb ->> 'from_definition_version_id')::bigint FROM events m
          WHERE m.ticket_id = events.ticket_id AND m.kind = 'migration'
          ORDER BY m.seq ASC LIMIT 1)
    ELSE (SELECT t.definition_version_id FROM tickets t WHERE t.id = events.ticket_id)
END;
ALTER TABLE events ENABLE TRIGGER events_append_only;

-- Set once, like the seal: an event's version is part of what it records.
CREATE FUNCTION events_version_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.definition_version_id IS NOT NULL
       AND NEW.definition_version_id IS DISTINCT FROM OLD.definition_version_id THEN
        RAISE EXCEPTION 'an event keeps its definition version' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER events_version_once BEFORE UPDATE OF definition_version_id ON events
    FOR EACH ROW EXECUTE FUNCTION events_version_once();
