-- strata:up
-- expect: update-without-where
UPDATE users SET name = 'anonymous';
-- strata:down

