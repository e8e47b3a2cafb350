INSERT INTO accounts (id, owner, balance) VALUES (1, 'alice', 1000), (2, 'bob', 250), (3, 'carol', 0);
INSERT INTO accounts (id, owner, balance, status) VALUES (4, 'dave', 75, 'frozen');
INSERT INTO transfers VALUES (1, 1, 2, 100, 'rent'), (2, 2, 3, 40, NULL), (3, 1, 3, 15, 'coffee');
