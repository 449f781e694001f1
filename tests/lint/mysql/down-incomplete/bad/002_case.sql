-- strata:up
CREATE TABLE a (id INT PRIMARY KEY);
-- expect: down-incomplete
CREATE TABLE b (id INT PRIMARY KEY);
CREATE INDEX a_id ON a (id);
-- strata:down
DROP TABLE a;
