-- strata:up
CREATE TABLE draft (id bigint PRIMARY KEY);
-- a table this migration creates: nothing reads it yet
ALTER TABLE draft RENAME TO final;
-- strata:down
DROP TABLE final;
