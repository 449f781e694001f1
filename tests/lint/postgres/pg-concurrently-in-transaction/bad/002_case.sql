-- strata:up
BEGIN;
-- expect: pg-concurrently-in-transaction
CREATE INDEX CONCURRENTLY users_email ON users (email);
COMMIT;
-- strata:down
DROP INDEX CONCURRENTLY users_email;
