-- The TPC-C-style schema (simplified; see docs/tpcc.md). Money is DOUBLE, dates are BIGINT
-- microseconds since the Unix epoch, so the same text runs on Lightning and on SQLite.
CREATE TABLE warehouse (
    w_id BIGINT NOT NULL,
    w_name TEXT NOT NULL,
    w_street TEXT NOT NULL,
    w_city TEXT NOT NULL,
    w_tax DOUBLE NOT NULL,
    w_ytd DOUBLE NOT NULL,
    PRIMARY KEY (w_id)
);
CREATE TABLE district (
    d_w_id BIGINT NOT NULL,
    d_id BIGINT NOT NULL,
    d_name TEXT NOT NULL,
    d_street TEXT NOT NULL,
    d_city TEXT NOT NULL,
    d_tax DOUBLE NOT NULL,
    d_ytd DOUBLE NOT NULL,
    d_next_o_id BIGINT NOT NULL,
    PRIMARY KEY (d_w_id, d_id)
);
CREATE TABLE customer (
    c_w_id BIGINT NOT NULL,
    c_d_id BIGINT NOT NULL,
    c_id BIGINT NOT NULL,
    c_first TEXT NOT NULL,
    c_middle TEXT NOT NULL,
    c_last TEXT NOT NULL,
    c_street TEXT NOT NULL,
    c_city TEXT NOT NULL,
    c_since BIGINT NOT NULL,
    c_credit TEXT NOT NULL,
    c_credit_lim DOUBLE NOT NULL,
    c_discount DOUBLE NOT NULL,
    c_balance DOUBLE NOT NULL,
    c_ytd_payment DOUBLE NOT NULL,
    c_payment_cnt BIGINT NOT NULL,
    c_delivery_cnt BIGINT NOT NULL,
    c_data TEXT NOT NULL,
    PRIMARY KEY (c_w_id, c_d_id, c_id)
);
CREATE INDEX customer_by_name ON customer (c_w_id, c_d_id, c_last, c_first);
CREATE TABLE item (
    i_id BIGINT NOT NULL,
    i_im_id BIGINT NOT NULL,
    i_name TEXT NOT NULL,
    i_price DOUBLE NOT NULL,
    i_data TEXT NOT NULL,
    PRIMARY KEY (i_id)
);
CREATE TABLE stock (
    s_w_id BIGINT NOT NULL,
    s_i_id BIGINT NOT NULL,
    s_quantity BIGINT NOT NULL,
    s_dist_info TEXT NOT NULL,
    s_ytd BIGINT NOT NULL,
    s_order_cnt BIGINT NOT NULL,
    s_remote_cnt BIGINT NOT NULL,
    s_data TEXT NOT NULL,
    PRIMARY KEY (s_w_id, s_i_id)
);
CREATE TABLE orders (
    o_w_id BIGINT NOT NULL,
    o_d_id BIGINT NOT NULL,
    o_id BIGINT NOT NULL,
    o_c_id BIGINT NOT NULL,
    o_entry_d BIGINT NOT NULL,
    o_carrier_id BIGINT,
    o_ol_cnt BIGINT NOT NULL,
    o_all_local BIGINT NOT NULL,
    PRIMARY KEY (o_w_id, o_d_id, o_id)
);
CREATE INDEX orders_by_customer ON orders (o_w_id, o_d_id, o_c_id, o_id);
CREATE TABLE new_order (
    no_w_id BIGINT NOT NULL,
    no_d_id BIGINT NOT NULL,
    no_o_id BIGINT NOT NULL,
    PRIMARY KEY (no_w_id, no_d_id, no_o_id)
);
CREATE TABLE order_line (
    ol_w_id BIGINT NOT NULL,
    ol_d_id BIGINT NOT NULL,
    ol_o_id BIGINT NOT NULL,
    ol_number BIGINT NOT NULL,
    ol_i_id BIGINT NOT NULL,
    ol_supply_w_id BIGINT NOT NULL,
    ol_delivery_d BIGINT,
    ol_quantity BIGINT NOT NULL,
    ol_amount DOUBLE NOT NULL,
    ol_dist_info TEXT NOT NULL,
    PRIMARY KEY (ol_w_id, ol_d_id, ol_o_id, ol_number)
);
CREATE TABLE history (
    h_id BIGINT NOT NULL,
    h_c_id BIGINT NOT NULL,
    h_c_d_id BIGINT NOT NULL,
    h_c_w_id BIGINT NOT NULL,
    h_d_id BIGINT NOT NULL,
    h_w_id BIGINT NOT NULL,
    h_date BIGINT NOT NULL,
    h_amount DOUBLE NOT NULL,
    h_data TEXT NOT NULL,
    PRIMARY KEY (h_id)
);
