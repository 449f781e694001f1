-- strata:up
-- expect: mysql-fk-engine
CREATE TABLE logins (id INT PRIMARY KEY, user_id INT, FOREIGN KEY (user_id) REFERENCES users (id)) ENGINE=MyISAM;
-- strata:down
DROP TABLE logins;
