-- strata:up
-- expect: pg-lock-timeout
ALTER TABLE users ADD COLUMN nick text;
-- strata:down
ALTER TABLE users DROP COLUMN nick;
