-- strata:up
DROP INDEX CONCURRENTLY users_name;
-- strata:down
CREATE INDEX CONCURRENTLY users_name ON users (name);
