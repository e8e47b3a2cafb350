-- A filtered sum of an int64 column: one year of shipments.
SELECT SUM(l_quantity) AS sum_qty
FROM lineitem
WHERE l_shipdate >= TIMESTAMP '1995-01-01 00:00:00'
    AND l_shipdate < TIMESTAMP '1996-01-01 00:00:00'
