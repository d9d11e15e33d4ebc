-- 0011 A ticket is updated at or after its creation (issue 14), as SQLite's 0016. Every write keeps
-- `updated_at >= created_at` (`GREATEST(%s, created_at)`: a wall clock set back between the two); the
-- rows written before that are brought to it here, so that a database made earlier keeps the
-- invariant when `khidma migrate-store` copies it into SQLite, whose task lists rely on it (a list in
-- update order with a creation-date range starts its walk of `tickets_updated` at the range's start).
UPDATE tickets SET updated_at = created_at WHERE updated_at < created_at;
