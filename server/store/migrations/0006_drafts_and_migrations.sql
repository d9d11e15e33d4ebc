-- 0006 administration (issue 6): a service's draft — the files an administrator is editing, kept even
-- when invalid so nothing typed is lost; publishing turns it into a definition version and deletes it.
CREATE TABLE drafts (
    service_id  TEXT    PRIMARY KEY,
    files       TEXT    NOT NULL CHECK (json_valid(files)),
    updated_at  TEXT    NOT NULL,
    updated_by  TEXT
);

-- Moving running tickets: the open tickets of one definition version.
CREATE INDEX tickets_definition_version ON tickets (definition_version_id, closed_at);
