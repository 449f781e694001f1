-- strata:up
-- expect: pg-column-type
ALTER TABLE users ALTER COLUMN name TYPE varchar(50);
-- strata:down
ALTER TABLE users ALTER COLUMN name TYPE text;
