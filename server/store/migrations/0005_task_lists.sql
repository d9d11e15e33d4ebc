-- 0005 staff task lists (issue 5): the free-text search column and the indexes the lists use.
-- Query plans checked with EXPLAIN QUERY PLAN on 100,000 tickets (bench/bench_tasks.py).

-- The requester's name and the start of the form's free-text fields, normalised (server/tasks.py);
-- NULL until computed: filled at creation, and for older tickets when the server starts.
ALTER TABLE tickets ADD COLUMN search_text TEXT;

-- A department's queue in update or creation order, without sorting it (0001 has
-- (department, category, updated_at) for one category of it).
CREATE INDEX tickets_department_updated ON tickets (department, updated_at);
CREATE INDEX tickets_department_created ON tickets (department, created_at);
-- Everything (an organisation-wide reader's "all"), by update or creation, and its counts.
CREATE INDEX tickets_updated ON tickets (updated_at);
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX tickets_category_updated ON tickets (category, updated_at);
-- "Mine": a role's queue in a department.
CREATE INDEX tickets_role_queue ON tickets (assignee_role, department, updated_at);

-- The earliest pending timer of a ticket (its due time) from the index alone.
DROP INDEX timers_ticket;
CREATE INDEX timers_ticket ON timers (ticket_id, status, due_at);
