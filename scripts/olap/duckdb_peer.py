#!/usr/bin/env python3
"""The DuckDB peer of the TPC-H comparison: a long-lived process speaking JSON lines.

A Rust driver (`engine/ldb/src/cmd/bench/duckdb.rs`) starts it once and alternates queries
between Lightning and DuckDB in one run. One request per line on standard input, one answer
per line on standard output (nothing else is ever printed there):

    {"op": "load", "dir": D, "tables": ["lineitem", "orders"], "schema": S, "db": F}
        -> {"ok": true, "seconds": s, "bytes": n}
        Opens (creates) the DuckDB file F, runs the CREATE TABLE statements of S for the
        tables named (our schema.sql; a trailing `WITH (...)` clause is stripped), loads each
        from D/<table>.csv with COPY ... (HEADER), then CHECKPOINTs; `bytes` is F's size.
    {"op": "threads", "n": 2}       -> {"ok": true}
    {"op": "query", "sql": Q}       -> {"ok": true, "seconds": s, "columns": [...], "rows": [[...]]}
        Timestamps and dates as ISO strings, decimals and numbers as JSON numbers.
    {"op": "quit"}                  -> {"ok": true}, then the process exits.

Any failure is {"ok": false, "error": "..."} and the process goes on reading.
"""

import datetime
import decimal
import json
import os
import re
import sys
import time

import duckdb


def strip_with(statement):
    """Drops a trailing `WITH (...)` table-options clause (DuckDB has none)."""
    return re.sub(r"\)\s*WITH\s*\(.*\)\s*$", ")", statement.strip(), flags=re.S | re.I)


def create_statements(schema_path, tables):
    """The CREATE TABLE statements of the schema file for the tables named, in file order."""
    with open(schema_path, encoding="utf-8") as f:
        text = f.read()
    text = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    wanted = {t.lower() for t in tables}
    found = {}
    for statement in text.split(";"):
        m = re.match(r"\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", statement, re.I)
        if m and m.group(1).lower() in wanted:
            found[m.group(1).lower()] = strip_with(statement)
    missing = sorted(wanted - set(found))
    if missing:
        raise ValueError(f"{schema_path} has no CREATE TABLE for {', '.join(missing)}")
    return [found[t.lower()] for t in tables]


def cell(value):
    """One result value as JSON: ISO strings for times, numbers for numbers."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    return value


class Peer:
    def __init__(self):
        self.conn = None
        self.path = None

    def connection(self):
        if self.conn is None:
            self.conn = duckdb.connect()
        return self.conn

    def load(self, req):
        started = time.perf_counter()
        if self.conn is not None:
            self.conn.close()
        self.path = req["db"]
        self.conn = duckdb.connect(self.path)
        tables = req["tables"]
        for table, create in zip(tables, create_statements(req["schema"], tables)):
            self.conn.execute(f"DROP TABLE IF EXISTS {table}")
            self.conn.execute(create)
            csv = os.path.join(req["dir"], f"{table}.csv")
            if not os.path.isfile(csv):
                raise FileNotFoundError(f"no data file {csv}")
            quoted = csv.replace("'", "''")
            self.conn.execute(f"COPY {table} FROM '{quoted}' (HEADER)")
        self.conn.execute("CHECKPOINT")
        seconds = time.perf_counter() - started
        return {"ok": True, "seconds": seconds, "bytes": os.path.getsize(self.path)}

    def threads(self, req):
        n = int(req["n"])
        if n < 1:
            raise ValueError(f"threads must be at least 1, got {n}")
        self.connection().execute(f"SET threads = {n}")
        return {"ok": True}

    def query(self, req):
        conn = self.connection()
        started = time.perf_counter()
        result = conn.execute(req["sql"])
        rows = result.fetchall()
        seconds = time.perf_counter() - started
        columns = [d[0] for d in result.description] if result.description else []
        return {
            "ok": True,
            "seconds": seconds,
            "columns": columns,
            "rows": [[cell(v) for v in row] for row in rows],
        }


def main():
    peer = Peer()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = None
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "quit":
                answer = {"ok": True}
            elif op == "load":
                answer = peer.load(req)
            elif op == "threads":
                answer = peer.threads(req)
            elif op == "query":
                answer = peer.query(req)
            else:
                answer = {"ok": False, "error": f"unknown op {op!r}"}
        except Exception as e:  # every failure is an answer, never a dead peer
            answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if isinstance(req, dict) and req.get("op") == "quit":
            break
    if peer.conn is not None:
        peer.conn.close()


if __name__ == "__main__":
    main()
