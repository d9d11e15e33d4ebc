-- Events record the department the actor acted from (so the event log alone replays the ticket),
-- and tickets record the language the requester used (so later notices reach them in it).
ALTER TABLE events ADD COLUMN actor_department TEXT;
ALTER TABLE tickets ADD COLUMN language TEXT NOT NULL DEFAULT 'ar' CHECK (language IN ('ar', 'en'));
