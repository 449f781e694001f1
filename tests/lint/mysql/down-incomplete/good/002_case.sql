-- strata:up
CREATE TABLE a (id INT PRIMARY KEY);
CREATE TABLE b (id INT PRIMARY KEY);
CREATE INDEX a_id ON a (id);
-- strata:down
DROP TABLE b;
DROP TABLE a;
