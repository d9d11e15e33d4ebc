-- 0018 The tickets still without a search text, found without reading the others (issue 14: start-up).
-- Every start fills the search text of tickets that have none (`TicketService.fill_search_texts`: the
-- tickets written before the column existed), asking `WHERE search_text IS NULL ORDER BY id LIMIT 500`.
-- With no index to answer it, that read the whole table when none was left — every start, whatever its
-- size: 60 ms at 200,000 tickets from memory, 1.7 s from disk. This index holds only the tickets
-- without one: empty once they are filled, so a new ticket (which has its text) never enters it.
-- PostgreSQL has had the same index since its first migration (`tickets_search_missing`, pg 0001).
CREATE INDEX tickets_search_missing ON tickets (id) WHERE search_text IS NULL;
