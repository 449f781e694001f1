-- strata:up
UPDATE users SET name = 'anonymous' WHERE name IS NULL;
-- strata:down

