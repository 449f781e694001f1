-- strata:up
-- strata:lint-ignore drop-table the table moved to the archive database
DROP TABLE users;
-- strata:down

