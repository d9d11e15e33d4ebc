-- 0005 (issue 14; SQLite's 0012): the due time kept on the ticket row, and the free text through
-- pg_trgm GIN indexes. The task lists' queries are built as on SQLite (server/store/postgres_tasks.py).

-- A ticket's due time: the earliest of its pending timers, NULL when it has none.
ALTER TABLE tickets ADD COLUMN due_at timestamptz;
UPDATE tickets t SET due_at = d.due_at
  FROM (SELECT ticket_id, MIN(due_at) AS due_at FROM timers WHERE status = 'pending' GROUP BY ticket_id) d
 WHERE t.id = d.ticket_id;

-- Kept in step by a trigger on timers, in the same transaction as every timer change whichever code
-- makes it. The ticket row is locked first, then its pending timers read in a statement of their own
-- (so, under READ COMMITTED, after any other transaction that changed them and held the row has
-- committed). Every writer of timers locks the ticket row before its timers (a ticket transaction
-- updates the row first; set_timer_status locks it first), so this lock adds no new wait order.
CREATE FUNCTION khidma_ticket_due() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        ids := ARRAY[NEW.ticket_id];
    ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY[OLD.ticket_id];
    ELSE
        ids := ARRAY[OLD.ticket_id, NEW.ticket_id];
    END IF;
    PERFORM 1 FROM tickets WHERE id = ANY(ids) ORDER BY id FOR UPDATE;
    UPDATE tickets t
       SET due_at = d.due_at
      FROM (SELECT i.id, (SELECT MIN(m.due_at) FROM timers m WHERE m.ticket_id = i.id AND m.status = 'pending')
                         AS due_at
              FROM unnest(ids) AS i(id)) d
     WHERE t.id = d.id AND t.due_at IS DISTINCT FROM d.due_at;
    RETURN NULL;
END
$$;
CREATE TRIGGER timers_due AFTER INSERT OR DELETE OR UPDATE OF ticket_id, status, due_at ON timers
    FOR EACH ROW EXECUTE FUNCTION khidma_ticket_due();

-- "Sorted by due time": partial indexes holding only the tickets that have a due time (SQLite's).
CREATE INDEX tickets_due ON tickets (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX tickets_department_due ON tickets (department, due_at) WHERE due_at IS NOT NULL;

-- Free text: pg_trgm's GIN indexes serve `LIKE '%…%'` (three characters or more) on the number and on
-- the search text as the lists match them (khidma_nocase, ASCII case folded as SQLite's LIKE). The
-- extension is created once per database — in `public` when there is one, so that dropping one
-- khidma schema of several does not take it away from the others — and its operator class named
-- with the schema it is in.
DO $$
DECLARE
    trgm text;
BEGIN
    SELECT n.nspname INTO trgm
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    IF trgm IS NULL THEN
        trgm := CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public')
                     THEN 'public' ELSE current_schema() END;
        EXECUTE format('CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA %I', trgm);
    END IF;
    EXECUTE format('CREATE INDEX tickets_search_trgm ON tickets USING gin (khidma_nocase(search_text) %I.gin_trgm_ops)', trgm);
    EXECUTE format('CREATE INDEX tickets_number_trgm ON tickets USING gin (khidma_nocase(number) %I.gin_trgm_ops)', trgm);
END
$$;
