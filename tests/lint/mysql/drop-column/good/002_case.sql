-- strata:up
ALTER TABLE users ADD COLUMN nick VARCHAR(100);
-- strata:down
ALTER TABLE users DROP COLUMN nick;
