-- strata:up
-- the table goes, and its rows with it
-- expect: drop-table
DROP TABLE users;
-- strata:down
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);
