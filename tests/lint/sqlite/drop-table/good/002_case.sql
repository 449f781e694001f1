-- strata:up
CREATE TABLE audit (id INTEGER PRIMARY KEY);
-- strata:down
-- the down drops what its up created: its job
DROP TABLE audit;
