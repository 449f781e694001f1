-- strata:up
-- expect: pg-index-concurrently
CREATE INDEX users_email ON users (email);
-- strata:down
DROP INDEX CONCURRENTLY users_email;
