-- strata:up
CREATE TABLE a (id INTEGER PRIMARY KEY);
-- expect: down-incomplete
CREATE TABLE b (id INTEGER PRIMARY KEY);
CREATE INDEX a_id ON a (id);
-- strata:down
DROP TABLE a;
