-- strata:up
CREATE INDEX CONCURRENTLY users_email ON users (email);
-- strata:down
DROP INDEX CONCURRENTLY users_email;
