CREATE UNIQUE INDEX accounts_by_owner ON accounts (owner);
