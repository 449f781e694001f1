-- strata:up
DELETE FROM users WHERE email IS NULL;
-- strata:down

