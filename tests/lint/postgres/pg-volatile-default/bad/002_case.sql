-- strata:up
-- expect: pg-volatile-default
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
-- strata:down
ALTER TABLE users DROP COLUMN token;
