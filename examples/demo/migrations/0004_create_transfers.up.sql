CREATE TABLE transfers (id BIGINT PRIMARY KEY, from_account BIGINT NOT NULL, to_account BIGINT NOT NULL, amount BIGINT NOT NULL, note TEXT);
CREATE INDEX transfers_by_from ON transfers (from_account);
