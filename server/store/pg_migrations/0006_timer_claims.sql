-- 0006 Timer claims (issue 14).
-- Timers claimed for firing (server/store/postgres_timers.py): a process's timer loop leases the due
-- timers it takes (FOR UPDATE SKIP LOCKED) until claimed_until, so two processes never fire one timer
-- side by side. A lease, not data: `khidma migrate-store` does not copy it (SQLite has no such column:
-- one process fires a SQLite file's timers).
ALTER TABLE timers ADD COLUMN claimed_until timestamptz;
