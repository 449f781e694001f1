-- strata:up
-- the table goes, and its rows with it
-- expect: drop-table
DROP TABLE users;
-- strata:down
CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(200), name VARCHAR(100)) ENGINE=InnoDB;
