-- strata:up
ALTER TABLE users ADD COLUMN nick TEXT NOT NULL DEFAULT '';
-- strata:down
ALTER TABLE users DROP COLUMN nick;
