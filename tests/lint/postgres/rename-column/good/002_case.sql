-- strata:up
CREATE TABLE draft (id bigint PRIMARY KEY, a text);
ALTER TABLE draft RENAME COLUMN a TO b;
-- strata:down
DROP TABLE draft;
