-- strata:up
ALTER TABLE users DROP COLUMN name;
-- strata:down
ALTER TABLE users ADD COLUMN name TEXT;
