-- TPC-H Q6, forecasting revenue change: DATE '1994-01-01' + INTERVAL '1' YEAR written out.
SELECT SUM(l_extendedprice * l_discount) AS revenue
FROM lineitem
WHERE l_shipdate >= TIMESTAMP '1994-01-01 00:00:00'
    AND l_shipdate < TIMESTAMP '1995-01-01 00:00:00'
    AND l_discount BETWEEN 0.05 AND 0.07
    AND l_quantity < 24
