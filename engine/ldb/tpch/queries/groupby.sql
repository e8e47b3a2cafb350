-- A group-by on a low-cardinality column (seven ship modes).
SELECT l_shipmode, COUNT(*) AS count_rows, SUM(l_quantity) AS sum_qty
FROM lineitem
GROUP BY l_shipmode
ORDER BY l_shipmode
