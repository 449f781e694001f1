-- strata:up
CREATE TABLE draft (id INTEGER PRIMARY KEY, a TEXT);
ALTER TABLE draft RENAME COLUMN a TO b;
-- strata:down
DROP TABLE draft;
