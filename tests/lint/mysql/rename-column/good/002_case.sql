-- strata:up
CREATE TABLE draft (id INT PRIMARY KEY, a VARCHAR(100));
ALTER TABLE draft RENAME COLUMN a TO b;
-- strata:down
DROP TABLE draft;
