-- strata:up
CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(200), name VARCHAR(100)) ENGINE=InnoDB;
CREATE INDEX users_name ON users (name);
-- strata:down
DROP TABLE users;
