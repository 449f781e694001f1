-- strata:up
-- expect: pg-unique-without-index
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
-- strata:down
ALTER TABLE users DROP CONSTRAINT users_email_key;
