-- 0013 (issue 14): the task lists' counts per category without reading every listed ticket.
--
-- Every list page shows how many tickets its view holds per category; at 1,000,000 tickets counting
-- them from the tickets' indexes read up to every ticket on each request (an organisation-wide
-- reader's list, customer service's incoming queue, a head's "mine"). ticket_counts holds how many
-- tickets there are per combination of the columns a list's view and filters name (holder, service,
-- channel, state, category) — a few thousand rows however many tickets there are — kept by triggers
-- on tickets in the same transaction as every ticket write. A list whose filter names only those
-- columns (no dates, no free text, no requester in the read scope) sums these rows
-- (server/store/sqlite_tasks.py, count_sql); any other list counts its tickets as before.
CREATE TABLE ticket_counts (
    department     TEXT,
    assignee_role  TEXT,
    assignee_user  TEXT,
    service_id     TEXT    NOT NULL,
    channel        TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    category       TEXT    NOT NULL,
    n              INTEGER NOT NULL CHECK (n >= 0)
) STRICT;
-- One row per combination (NULL holders compare equal through IS in the triggers' look-ups).
CREATE INDEX ticket_counts_key
    ON ticket_counts (service_id, state, channel, department, assignee_role, assignee_user, category);

INSERT INTO ticket_counts (department, assignee_role, assignee_user, service_id, channel, state, category, n)
SELECT department, assignee_role, assignee_user, service_id, channel, state, category, COUNT(*)
  FROM tickets
 GROUP BY department, assignee_role, assignee_user, service_id, channel, state, category;

CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets
BEGIN
    UPDATE ticket_counts SET n = n + 1
     WHERE service_id = NEW.service_id AND state = NEW.state AND channel = NEW.channel
       AND department IS NEW.department AND assignee_role IS NEW.assignee_role
       AND assignee_user IS NEW.assignee_user AND category = NEW.category;
    INSERT INTO ticket_counts (department, assignee_role, assignee_user, service_id, channel, state, category, n)
    SELECT NEW.department, NEW.assignee_role, NEW.assignee_user, NEW.service_id, NEW.channel, NEW.state,
           NEW.category, 1
     WHERE NOT EXISTS (
        SELECT 1 FROM ticket_counts
         WHERE service_id = NEW.service_id AND state = NEW.state AND channel = NEW.channel
           AND department IS NEW.department AND assignee_role IS NEW.assignee_role
           AND assignee_user IS NEW.assignee_user AND category = NEW.category);
END;

CREATE TRIGGER ticket_counts_update
AFTER UPDATE OF department, assignee_role, assignee_user, service_id, channel, state, category ON tickets
WHEN NEW.department IS NOT OLD.department OR NEW.assignee_role IS NOT OLD.assignee_role
  OR NEW.assignee_user IS NOT OLD.assignee_user OR NEW.service_id IS NOT OLD.service_id
  OR NEW.channel IS NOT OLD.channel OR NEW.state IS NOT OLD.state OR NEW.category IS NOT OLD.category
BEGIN
    UPDATE ticket_counts SET n = n - 1
     WHERE service_id = OLD.service_id AND state = OLD.state AND channel = OLD.channel
       AND department IS OLD.department AND assignee_role IS OLD.assignee_role
       AND assignee_user IS OLD.assignee_user AND category = OLD.category;
    UPDATE ticket_counts SET n = n + 1
     WHERE service_id = NEW.service_id AND state = NEW.state AND channel = NEW.channel
       AND department IS NEW.department AND assignee_role IS NEW.assignee_role
       AND assignee_user IS NEW.assignee_user AND category = NEW.category;
    INSERT INTO ticket_counts (department, assignee_role, assignee_user, service_id, channel, state, category, n)
    SELECT NEW.department, NEW.assignee_role, NEW.assignee_user, NEW.service_id, NEW.channel, NEW.state,
           NEW.category, 1
     WHERE NOT EXISTS (
        SELECT 1 FROM ticket_counts
         WHERE service_id = NEW.service_id AND state = NEW.state AND channel = NEW.channel
           AND department IS NEW.department AND assignee_role IS NEW.assignee_role
           AND assignee_user IS NEW.assignee_user AND category = NEW.category);
END;

CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets
BEGIN
    UPDATE ticket_counts SET n = n - 1
     WHERE service_id = OLD.service_id AND state = OLD.state AND channel = OLD.channel
       AND department IS OLD.department AND assignee_role IS OLD.assignee_role
       AND assignee_user IS OLD.assignee_user AND category = OLD.category;
END;

-- Unused now: (assignee_user, category) and (assignee_role, department, updated_at) served only the
-- counts of "mine" lists (an OR of the two); those counts sum ticket_counts, and no list's plan reads
-- either index (a "mine" list walks tickets_updated / tickets_created in order, or the due indexes;
-- with dates or free text, the date index or the trigram index) — tests/test_query_plans.py.
DROP INDEX IF EXISTS tickets_assignee_user;
DROP INDEX IF EXISTS tickets_role_queue;
