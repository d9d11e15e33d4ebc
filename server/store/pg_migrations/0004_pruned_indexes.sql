-- 0004 (issue 14; SQLite's 0011): indexes pruned to what the queries use. The PostgreSQL store runs the
-- same queries as the SQLite one (the task lists' WHERE clauses are built the same way, and the
-- reports read tickets_report / events_report); on SQLite, tests/test_query_plans.py shows no query's
-- plan using tickets_state, so it goes here too: a state belongs to one service's workflow, and a
-- state filter always comes with the view's department, category or service conditions, whose indexes
-- serve it. The rest of this backend's indexes match SQLite's kept ones (see SQLite's 0011), plus
-- tickets_search_missing, the partial index the search-column backfill reads.
DROP INDEX IF EXISTS tickets_state;
