-- strata:up
ALTER TABLE users ALTER COLUMN name SET DEFAULT 'anonymous';
-- strata:down
ALTER TABLE users ALTER COLUMN name DROP DEFAULT;
