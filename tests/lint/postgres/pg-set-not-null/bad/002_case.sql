-- strata:up
-- expect: pg-set-not-null
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
-- strata:down
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
