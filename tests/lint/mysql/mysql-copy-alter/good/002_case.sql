-- strata:up
ALTER TABLE users ADD COLUMN nick VARCHAR(40), ALGORITHM=INSTANT;
-- strata:down
ALTER TABLE users DROP COLUMN nick;
