-- strata:up
CREATE TABLE audit (id INTEGER PRIMARY KEY);
-- strata:down
DROP TABLE audit;
