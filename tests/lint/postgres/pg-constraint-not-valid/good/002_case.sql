-- strata:up
ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email <> '') NOT VALID;
-- strata:down
ALTER TABLE users DROP CONSTRAINT users_email_check;
