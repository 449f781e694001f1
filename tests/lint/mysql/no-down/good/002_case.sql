-- strata:up
CREATE TABLE audit (id INT PRIMARY KEY);
-- strata:down
DROP TABLE audit;
