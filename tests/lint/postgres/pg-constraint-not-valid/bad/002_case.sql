-- strata:up
-- expect: pg-constraint-not-valid
ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email <> '');
-- strata:down
ALTER TABLE users DROP CONSTRAINT users_email_check;
