-- 0014 The directory stamp (issue 14).
-- A number that moves on every change to the users and their roles, whoever makes it (this server, a
-- `khidma` command, another process on the same file): the store keeps who holds a role in a
-- department between requests (server/store/directory_cache.py) and checks this stamp, read at most
-- every half second, instead of asking the database for every notification's recipients.
CREATE TABLE directory_stamp (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  INTEGER NOT NULL
) STRICT;
INSERT INTO directory_stamp (id, value) VALUES (1, 0);

CREATE TRIGGER users_stamp_insert AFTER INSERT ON users
BEGIN UPDATE directory_stamp SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER users_stamp_update AFTER UPDATE ON users
BEGIN UPDATE directory_stamp SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER users_stamp_delete AFTER DELETE ON users
BEGIN UPDATE directory_stamp SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER user_roles_stamp_insert AFTER INSERT ON user_roles
BEGIN UPDATE directory_stamp SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER user_roles_stamp_update AFTER UPDATE ON user_roles
BEGIN UPDATE directory_stamp SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER user_roles_stamp_delete AFTER DELETE ON user_roles
BEGIN UPDATE directory_stamp SET value = value + 1 WHERE id = 1; END;
