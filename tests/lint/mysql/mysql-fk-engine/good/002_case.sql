-- strata:up
CREATE TABLE logins (id INT PRIMARY KEY, user_id INT, FOREIGN KEY (user_id) REFERENCES users (id)) ENGINE=InnoDB;
-- strata:down
DROP TABLE logins;
