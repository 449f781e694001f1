-- strata:up
-- expect: rename-table
ALTER TABLE users RENAME TO people;
-- strata:down
ALTER TABLE people RENAME TO users;
