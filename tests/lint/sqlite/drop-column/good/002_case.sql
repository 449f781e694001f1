-- strata:up
ALTER TABLE users ADD COLUMN nick TEXT;
-- strata:down
ALTER TABLE users DROP COLUMN nick;
