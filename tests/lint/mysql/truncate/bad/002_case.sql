-- strata:up
-- expect: truncate
TRUNCATE TABLE users;
-- strata:down

