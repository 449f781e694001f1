-- strata:up
-- expect: sqlite-alter-unsupported
ALTER TABLE users ADD COLUMN nick TEXT NOT NULL;
-- strata:down
ALTER TABLE users DROP COLUMN nick;
