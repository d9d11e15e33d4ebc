-- One rating per ticket: the answers to the organisation's survey the service names.
CREATE TABLE survey_responses (
    ticket_id   INTEGER PRIMARY KEY REFERENCES tickets (id),
    survey_id   TEXT    NOT NULL,
    answers     TEXT    NOT NULL CHECK (json_valid(answers)),
    comment     TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL
) STRICT;
