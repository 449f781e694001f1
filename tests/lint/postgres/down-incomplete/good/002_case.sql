-- strata:up
CREATE TABLE a (id bigint PRIMARY KEY);
CREATE TABLE b (id bigint PRIMARY KEY);
CREATE INDEX a_id ON a (id);
-- strata:down
DROP TABLE b;
DROP TABLE a;
