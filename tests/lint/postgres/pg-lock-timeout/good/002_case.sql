-- strata:up
SET lock_timeout = '5s';
ALTER TABLE users ADD COLUMN nick text;
-- strata:down
SET lock_timeout = '5s';
ALTER TABLE users DROP COLUMN nick;
