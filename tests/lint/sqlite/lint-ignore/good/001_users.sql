-- strata:up
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);
CREATE INDEX users_name ON users (name);
-- strata:down
DROP TABLE users;
