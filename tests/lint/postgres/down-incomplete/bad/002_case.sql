-- strata:up
CREATE TABLE a (id bigint PRIMARY KEY);
-- expect: down-incomplete
CREATE TABLE b (id bigint PRIMARY KEY);
CREATE INDEX a_id ON a (id);
-- strata:down
DROP TABLE a;
