-- strata:up
-- expect: drop-column
ALTER TABLE users DROP COLUMN name;
-- strata:down
ALTER TABLE users ADD COLUMN name VARCHAR(100);
