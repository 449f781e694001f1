-- strata:up
-- expect: mysql-column-type
ALTER TABLE users MODIFY COLUMN name VARCHAR(300);
-- strata:down
ALTER TABLE users MODIFY COLUMN name VARCHAR(100);
