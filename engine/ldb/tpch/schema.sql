-- TPC-H tables of the analytics comparison (docs/tpch.md), in the types both Lightning and
-- DuckDB run: BIGINT for keys and quantities, DOUBLE for decimals, TEXT for flags and
-- strings, TIMESTAMP for dates. Column order is the order of `ldb tpch generate`'s CSV files.
-- Lightning keeps both tables columnar; the DuckDB peer drops the WITH clause.

CREATE TABLE lineitem (
    l_orderkey      BIGINT    NOT NULL,
    l_partkey       BIGINT    NOT NULL,
    l_suppkey       BIGINT    NOT NULL,
    l_linenumber    BIGINT    NOT NULL,
    l_quantity      BIGINT    NOT NULL,
    l_extendedprice DOUBLE    NOT NULL,
    l_discount      DOUBLE    NOT NULL,
    l_tax           DOUBLE    NOT NULL,
    l_returnflag    TEXT      NOT NULL,
    l_linestatus    TEXT      NOT NULL,
    l_shipdate      TIMESTAMP NOT NULL,
    l_commitdate    TIMESTAMP NOT NULL,
    l_receiptdate   TIMESTAMP NOT NULL,
    l_shipinstruct  TEXT      NOT NULL,
    l_shipmode      TEXT      NOT NULL,
    l_comment       TEXT      NOT NULL,
    PRIMARY KEY (l_orderkey, l_linenumber)
) WITH (storage = 'columnar');

CREATE TABLE orders (
    o_orderkey      BIGINT    NOT NULL,
    o_custkey       BIGINT    NOT NULL,
    o_orderstatus   TEXT      NOT NULL,
    o_totalprice    DOUBLE    NOT NULL,
    o_orderdate     TIMESTAMP NOT NULL,
    o_orderpriority TEXT      NOT NULL,
    o_clerk         TEXT      NOT NULL,
    o_shippriority  BIGINT    NOT NULL,
    o_comment       TEXT      NOT NULL,
    PRIMARY KEY (o_orderkey)
) WITH (storage = 'columnar');
