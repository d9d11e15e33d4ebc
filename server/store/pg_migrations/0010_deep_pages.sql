-- 0010 Deep task-list pages (issue 14): the list indexes in update or creation order end with the
-- ticket's id, the list's last sort key. A page is chosen first as ids alone (server/store/postgres_tasks.py:
-- `list_sql`), and with the id in the index that choice is an index-only scan in the list's full order —
-- the OFFSET walks index entries, not table rows (a department's last page at 1,000,000 tickets: 0.2-0.3 s
-- of table rows read and sorted, now ~15 ms), and no incremental sort on the id follows. SQLite's indexes
-- hold the rowid already. Each index is replaced by the same one with the id appended, under its name:
-- a write moves the same number of index entries as before, each 8 bytes wider. The two in update order
-- also carry the due time (INCLUDE: not a key): a list by due time reads its tickets without one in
-- update order, and a deep page of that part tests `due_at IS NULL` on index entries. A change of the due
-- time alone already moved every index entry of the ticket (tickets_due indexes it: no HOT update).
DROP INDEX IF EXISTS tickets_updated;
CREATE INDEX tickets_updated ON tickets (updated_at, id) INCLUDE (due_at);
DROP INDEX IF EXISTS tickets_created;
CREATE INDEX tickets_created ON tickets (created_at, id);
DROP INDEX IF EXISTS tickets_department_updated;
CREATE INDEX tickets_department_updated ON tickets (department, updated_at, id) INCLUDE (due_at);
DROP INDEX IF EXISTS tickets_department_created;
CREATE INDEX tickets_department_created ON tickets (department, created_at, id);
DROP INDEX IF EXISTS tickets_department_queue;
CREATE INDEX tickets_department_queue ON tickets (department, category, updated_at, id);
DROP INDEX IF EXISTS tickets_category_updated;
CREATE INDEX tickets_category_updated ON tickets (category, updated_at, id);
