-- strata:up
CREATE TABLE settings (k VARCHAR(40) PRIMARY KEY, v TEXT);
-- expect: mysql-ddl-with-dml
INSERT INTO settings VALUES ('theme', 'dark');
-- strata:down
DROP TABLE settings;
