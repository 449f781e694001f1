-- strata:up
-- expect: mysql-copy-alter
ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4;
-- strata:down

