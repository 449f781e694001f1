-- strata:up
-- expect: delete-without-where
DELETE FROM users;
-- strata:down

