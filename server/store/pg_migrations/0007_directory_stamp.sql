-- 0007 The directory stamp (issue 14), as SQLite's 0014: a number that moves on every change to the
-- users and their roles, whoever makes it; the store keeps who holds a role in a department between
-- requests (server/store/directory_cache.py) and checks it, read at most every half second.
-- Statement-level triggers: one bump per statement, however many rows it touches.
CREATE TABLE directory_stamp (
    id     integer PRIMARY KEY CHECK (id = 1),
    value  bigint  NOT NULL
);
INSERT INTO directory_stamp (id, value) VALUES (1, 0);

CREATE FUNCTION directory_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_stamp SET value = value + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_stamp AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION directory_stamp_bump();
CREATE TRIGGER user_roles_stamp AFTER INSERT OR UPDATE OR DELETE ON user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION directory_stamp_bump();
