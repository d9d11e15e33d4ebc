-- 0012 (issue 14, "task lists that stay fast at 1,000,000 tickets"): the due time kept on the ticket
-- row, and the free text through an FTS5 trigram index. Plans checked with EXPLAIN QUERY PLAN
-- (tests/test_query_plans.py; figures in docs/performance.md, "Task lists at a million tickets").

-- A ticket's due time: the earliest of its pending timers, NULL when it has none. The task lists
-- sorted by due time read it (they computed it with a subquery over timers for every listed ticket).
ALTER TABLE tickets ADD COLUMN due_at TEXT;
UPDATE tickets
   SET due_at = (SELECT MIN(m.due_at) FROM timers m WHERE m.ticket_id = tickets.id AND m.status = 'pending')
 WHERE id IN (SELECT ticket_id FROM timers WHERE status = 'pending');

-- Kept in step by triggers, so in the same transaction as every timer change whichever code makes
-- it (a ticket transaction, a fired or cancelled timer, a ticket moved to another version, a copy by
-- `khidma migrate-store`, an operator's SQL). A timer that becomes pending for a ticket (inserted,
-- revived, moved to it, brought forward) can only bring its due time forward: one conditional write.
-- A pending timer that stops counting for a ticket (fired, cancelled, moved away, put back, deleted)
-- changes the due time only when it was the earliest: then it is recomputed from timers_ticket
-- (ticket_id, status, due_at). Each trigger writes the ticket row only when the due time changes.
CREATE TRIGGER timers_due_insert AFTER INSERT ON timers WHEN NEW.status = 'pending'
BEGIN
    UPDATE tickets SET due_at = NEW.due_at
     WHERE id = NEW.ticket_id AND (due_at IS NULL OR due_at > NEW.due_at);
END;
CREATE TRIGGER timers_due_arrive AFTER UPDATE OF ticket_id, status, due_at ON timers
WHEN NEW.status = 'pending'
 AND (OLD.status IS NOT 'pending' OR NEW.ticket_id IS NOT OLD.ticket_id OR NEW.due_at < OLD.due_at)
BEGIN
    UPDATE tickets SET due_at = NEW.due_at
     WHERE id = NEW.ticket_id AND (due_at IS NULL OR due_at > NEW.due_at);
END;
CREATE TRIGGER timers_due_leave AFTER UPDATE OF ticket_id, status, due_at ON timers
WHEN OLD.status = 'pending'
 AND (NEW.status IS NOT 'pending' OR NEW.ticket_id IS NOT OLD.ticket_id OR NEW.due_at > OLD.due_at)
BEGIN
    UPDATE tickets
       SET due_at = (SELECT MIN(m.due_at) FROM timers m WHERE m.ticket_id = tickets.id AND m.status = 'pending')
     WHERE id = OLD.ticket_id AND due_at = OLD.due_at;
END;
CREATE TRIGGER timers_due_delete AFTER DELETE ON timers WHEN OLD.status = 'pending'
BEGIN
    UPDATE tickets
       SET due_at = (SELECT MIN(m.due_at) FROM timers m WHERE m.ticket_id = tickets.id AND m.status = 'pending')
     WHERE id = OLD.ticket_id AND due_at = OLD.due_at;
END;

-- "Sorted by due time": the tickets that have a due time come first, in due order, from these
-- partial indexes (only tickets with a pending timer are in them, so they stay small and cost the
-- other tickets' writes nothing); the rest follow in update order from the indexes 0005 made. A
-- department's list reads tickets_department_due; every other view (all, incoming, mine) walks
-- tickets_due in order and stops at the page's end. (Indexes for "mine" — (assignee_role,
-- department, due_at) and (assignee_user, due_at) — were tried: the planner prefers walking
-- tickets_due, which holds only the open tickets with a timer, so they are not made.)
CREATE INDEX tickets_due ON tickets (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX tickets_department_due ON tickets (department, due_at) WHERE due_at IS NOT NULL;

-- Free text: the number and the search text (0005) in an external-content FTS5 table with the
-- trigram tokenizer (a phrase of three characters or more matches as a substring, in any script;
-- case-folded). The table holds only the index; its rows are the tickets' (rowid = tickets.id).
CREATE VIRTUAL TABLE tickets_text USING fts5(
    number, search_text, content = 'tickets', content_rowid = 'id', tokenize = 'trigram', columnsize = 0
);
INSERT INTO tickets_text (tickets_text) VALUES ('rebuild');
CREATE TRIGGER tickets_text_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO tickets_text (rowid, number, search_text) VALUES (NEW.id, NEW.number, NEW.search_text);
END;
CREATE TRIGGER tickets_text_update AFTER UPDATE OF number, search_text ON tickets
BEGIN
    INSERT INTO tickets_text (tickets_text, rowid, number, search_text)
    VALUES ('delete', OLD.id, OLD.number, OLD.search_text);
    INSERT INTO tickets_text (rowid, number, search_text) VALUES (NEW.id, NEW.number, NEW.search_text);
END;
CREATE TRIGGER tickets_text_delete AFTER DELETE ON tickets
BEGIN
    INSERT INTO tickets_text (tickets_text, rowid, number, search_text)
    VALUES ('delete', OLD.id, OLD.number, OLD.search_text);
END;
