-- 0008 (issue 14, PostgreSQL second round): the task lists' counts per category from aggregates, as
-- SQLite's ticket_counts (0013) and ticket_day_counts (0015) give them, without making concurrent
-- ticket writes wait for each other.
--
-- SQLite's triggers add to one shared counter row per combination; on PostgreSQL that row would be
-- locked by every transaction moving a count until it commits, so concurrent submissions of one
-- service would queue on it. Here a ticket write only APPENDS rows to ticket_count_deltas (+1 for the
-- combination a ticket enters, -1 for the one it leaves; no index, no row any other transaction
-- writes), and the counts are the summaries (ticket_counts, ticket_day_counts) plus the deltas not yet
-- folded into them, read in one statement — one snapshot — so they are exact whatever is in flight.
-- The store folds the deltas in from time to time (server/store/postgres_task_counts.py, compact:
-- one transaction deletes the deltas it sees and adds them to the summaries, under a transaction-level
-- advisory lock so two processes do not fold at once; a writer never touches a summary row).

-- The tickets per combination of the columns a list's view and filters name: holder, service,
-- channel, state, category.
CREATE TABLE ticket_counts (
    department     text,
    assignee_role  text,
    assignee_user  text,
    service_id     text   NOT NULL,
    channel        text   NOT NULL,
    state          text   NOT NULL,
    category       text   NOT NULL,
    n              bigint NOT NULL
);
-- One row per combination, a NULL holder one value of its own (UNIQUE NULLS NOT DISTINCT needs
-- PostgreSQL 15; this works from 13): a fold's upsert names these expressions.
CREATE UNIQUE INDEX ticket_counts_key ON ticket_counts
    (service_id, state, channel, category, COALESCE(department, ''), (department IS NULL),
     COALESCE(assignee_role, ''), (assignee_role IS NULL), COALESCE(assignee_user, ''), (assignee_user IS NULL));

-- The same per UTC day of creation: a range of dates sums the whole days inside it from here and
-- counts the tickets of the partial days at its edges (the organisation's days are not UTC days).
CREATE TABLE ticket_day_counts (
    day            date   NOT NULL,
    department     text,
    assignee_role  text,
    assignee_user  text,
    service_id     text   NOT NULL,
    channel        text   NOT NULL,
    state          text   NOT NULL,
    category       text   NOT NULL,
    n              bigint NOT NULL
);
CREATE UNIQUE INDEX ticket_day_counts_key ON ticket_day_counts
    (day, service_id, state, channel, category, COALESCE(department, ''), (department IS NULL),
     COALESCE(assignee_role, ''), (assignee_role IS NULL), COALESCE(assignee_user, ''), (assignee_user IS NULL));

-- What the ticket writes changed since the last fold: append-only between folds, read whole.
CREATE TABLE ticket_count_deltas (
    day            date    NOT NULL,
    department     text,
    assignee_role  text,
    assignee_user  text,
    service_id     text    NOT NULL,
    channel        text    NOT NULL,
    state          text    NOT NULL,
    category       text    NOT NULL,
    n              integer NOT NULL
);

INSERT INTO ticket_day_counts
       (day, department, assignee_role, assignee_user, service_id, channel, state, category, n)
SELECT (created_at AT TIME ZONE 'UTC')::date, department, assignee_role, assignee_user, service_id, channel,
       state, category, COUNT(*)
  FROM tickets
 GROUP BY 1, department, assignee_role, assignee_user, service_id, channel, state, category;

INSERT INTO ticket_counts (department, assignee_role, assignee_user, service_id, channel, state, category, n)
SELECT department, assignee_role, assignee_user, service_id, channel, state, category, SUM(n)
  FROM ticket_day_counts
 GROUP BY department, assignee_role, assignee_user, service_id, channel, state, category;

CREATE FUNCTION khidma_ticket_count_deltas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO ticket_count_deltas
               (day, department, assignee_role, assignee_user, service_id, channel, state, category, n)
        VALUES ((NEW.created_at AT TIME ZONE 'UTC')::date, NEW.department, NEW.assignee_role, NEW.assignee_user,
                NEW.service_id, NEW.channel, NEW.state, NEW.category, 1);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO ticket_count_deltas
               (day, department, assignee_role, assignee_user, service_id, channel, state, category, n)
        VALUES ((OLD.created_at AT TIME ZONE 'UTC')::date, OLD.department, OLD.assignee_role, OLD.assignee_user,
                OLD.service_id, OLD.channel, OLD.state, OLD.category, -1);
    ELSE
        INSERT INTO ticket_count_deltas
               (day, department, assignee_role, assignee_user, service_id, channel, state, category, n)
        VALUES ((OLD.created_at AT TIME ZONE 'UTC')::date, OLD.department, OLD.assignee_role, OLD.assignee_user,
                OLD.service_id, OLD.channel, OLD.state, OLD.category, -1),
               ((NEW.created_at AT TIME ZONE 'UTC')::date, NEW.department, NEW.assignee_role, NEW.assignee_user,
                NEW.service_id, NEW.channel, NEW.state, NEW.category, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tickets_count_deltas AFTER INSERT OR DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION khidma_ticket_count_deltas();
CREATE TRIGGER tickets_count_deltas_update
    AFTER UPDATE OF created_at, department, assignee_role, assignee_user, service_id, channel, state, category
    ON tickets FOR EACH ROW
    WHEN (NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.department IS DISTINCT FROM OLD.department
          OR NEW.assignee_role IS DISTINCT FROM OLD.assignee_role
          OR NEW.assignee_user IS DISTINCT FROM OLD.assignee_user OR NEW.service_id IS DISTINCT FROM OLD.service_id
          OR NEW.channel IS DISTINCT FROM OLD.channel OR NEW.state IS DISTINCT FROM OLD.state
          OR NEW.category IS DISTINCT FROM OLD.category)
    EXECUTE FUNCTION khidma_ticket_count_deltas();
