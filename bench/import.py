#!/usr/bin/env python3
"""Bulk import rate of a UPR Info export, side by side with each database's own bulk load of the
same CSV into a plain table (`.import` for SQLite, `\\copy` for PostgreSQL), for
docs/benchmarks.md.

    cargo build --release --bin upr-tc
    python3 bench/import.py [--file ../shared/data/upr-info/sessions-01-05.csv] [--runs 5]

`upr-tc import` runs the same code as `POST /api/v1/bulk/recommendations`. Each run starts
from an empty database. PostgreSQL is measured when BENCH_DATABASE_URL names a server where
databases may be created (e.g. postgres://postgres@127.0.0.1:5432/postgres).
"""
import argparse
import csv
import io
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid


def timed(cmd, **kw):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.perf_counter() - t0


def plain_csv(path, out):
    """The export as UTF-8 with LF endings: what the databases' own loaders read."""
    with open(path, encoding="mac_roman", newline="") as f:
        rows = list(csv.reader(io.StringIO(f.read(), newline="")))
    with open(out, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return len(rows) - 1


def pg_url(base, name):
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target")), "release", "upr-tc"))
    ap.add_argument("--file", default=os.path.join(here, "..", "..", "shared", "data", "upr-info", "sessions-01-05.csv"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    plain = os.path.join(work, "plain.csv")
    rows = plain_csv(args.file, plain)
    env = dict(os.environ, UPR_TC_LOG="warn", UPR_TC_JWT_SECRET="b" * 64)
    cols = "state_to,to_rgrp,to_org,body,state_from,from_rgrp,from_org,response,action,issue,session"
    table = "CREATE TABLE plain (" + ", ".join(f"{c} TEXT" for c in cols.split(",")) + ");"
    results = {}
    try:
        ours, native = [], []
        for i in range(args.runs):
            db = os.path.join(work, f"run{i}.sqlite3")
            e = dict(env, DATABASE_URL=f"sqlite://{db}")
            subprocess.run([args.binary, "migrate"], env=e, check=True, capture_output=True)
            ours.append(timed([args.binary, "import", "recommendations", args.file,
                               "--format", "upr-info", "--mode", "partial"], env=e))
            raw = os.path.join(work, f"raw{i}.sqlite3")
            native.append(timed(["sqlite3", raw, table, ".mode csv", f".import --skip 1 {plain} plain"]))
        results["sqlite"] = (statistics.median(ours), statistics.median(native))

        base = os.environ.get("BENCH_DATABASE_URL")
        if base:
            ours, native = [], []
            for i in range(args.runs):
                name = f"upr_tc_bench_{uuid.uuid4().hex[:12]}"
                subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
                url = pg_url(base, name)
                try:
                    e = dict(env, DATABASE_URL=url)
                    subprocess.run([args.binary, "migrate"], env=e, check=True, capture_output=True)
                    ours.append(timed([args.binary, "import", "recommendations", args.file,
                                       "--format", "upr-info", "--mode", "partial"], env=e))
                    subprocess.run(["psql", url, "-qc", table], check=True, capture_output=True)
                    native.append(timed(["psql", url, "-qc", f"\\copy plain FROM '{plain}' WITH (FORMAT csv, HEADER true)"]))
                finally:
                    subprocess.run(["psql", base, "-qc", f"DROP DATABASE {name} WITH (FORCE)"], capture_output=True)
            results["postgres"] = (statistics.median(ours), statistics.median(native))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{rows} rows, median of {args.runs} runs")
    print("| database | upr-tc import | rows/s | native load | rows/s | ratio |")
    print("|---|---|---|---|---|---|")
    for name, (ours, native) in results.items():
        print(f"| {name} | {ours * 1000:.0f} ms | {rows / ours:,.0f} | {native * 1000:.0f} ms | "
              f"{rows / native:,.0f} | {native / ours:.1%} |")


if __name__ == "__main__":
    main()
