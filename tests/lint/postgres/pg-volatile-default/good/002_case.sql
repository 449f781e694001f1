-- strata:up
-- now() is the same for every row: stored once, no rewrite
ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();
-- strata:down
ALTER TABLE users DROP COLUMN created_at;
