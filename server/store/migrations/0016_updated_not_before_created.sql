-- 0016 A ticket is updated at or after its creation (issue 14).
-- Every write now keeps `updated_at >= created_at` (`max(?, created_at)`: a wall clock set back between
-- the two no longer breaks it); the rows written before are brought to it here. The task lists rely on
-- it: a list in update order with a creation-date range starts its walk of `tickets_updated` at the
-- range's start (server/store/sqlite_tasks.py), since no ticket created since was updated before.
UPDATE tickets SET updated_at = created_at WHERE updated_at < created_at;
