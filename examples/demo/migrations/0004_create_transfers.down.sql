DROP INDEX transfers_by_from;
DROP TABLE transfers;
