-- strata:up
-- expect: pg-drop-index-concurrently
DROP INDEX users_name;
-- strata:down
CREATE INDEX CONCURRENTLY users_name ON users (name);
