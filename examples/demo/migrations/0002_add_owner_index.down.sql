DROP INDEX accounts_by_owner;
