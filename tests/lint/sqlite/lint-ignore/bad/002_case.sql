-- strata:up
-- expect: lint-ignore
-- strata:lint-ignore drop-tabel the table moved to the archive database
DROP TABLE users;
-- strata:down

