-- strata:up
INSERT INTO users (id, email, name) VALUES (1, 'root@example.com', 'root');
-- strata:down
DELETE FROM users WHERE id = 1;
