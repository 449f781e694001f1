-- strata:up
CREATE TABLE audit (id bigint PRIMARY KEY);
-- strata:down
DROP TABLE audit;
