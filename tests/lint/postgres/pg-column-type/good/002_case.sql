-- strata:up
CREATE TABLE draft (id bigint PRIMARY KEY, n integer);
ALTER TABLE draft ALTER COLUMN n TYPE bigint;
-- strata:down
DROP TABLE draft;
