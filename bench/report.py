#!/usr/bin/env python3
"""The annual report and the live statistics over 50,000 activities (issue 12).

    cargo build --release --bin upr-tc
    python3 bench/report.py [--binary PATH] [--count 50000] [--cold 10] [--warm 100]

Loads the data set of bench/activities.py (seeded: the 193 member States and 300
organisations, the consent records of the member States, then the activities through the bulk
NDJSON upload), then times, over one keep-alive connection:

- read from nothing: the first report after the load, which reads every activity (as after a
  start, or after more than 2,000 writes at once), one call;
- after a write: `GET /reports/annual?year=YYYY` (this year) anonymously and with
  `scope=full` as `admin`, and `GET /statistics`, each after an activity is submitted, so that
  every call reads what the write changed and counts the figures again (`--cold` calls);
- kept: the same calls with no write between them, answered from the reports the service keeps
  while the data is unchanged (`--warm` calls, after 5 warm-up calls).

SQLite always; PostgreSQL too when BENCH_DATABASE_URL names a server where databases may be
created (`VACUUM ANALYZE` runs after the load, as autovacuum would).
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import time

from activities import Client, databases, default_binary, free_port, load, wait_ready


def percentiles(times):
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def measure(binary, env, count, cold, warm):
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        client = Client(port)
        admin, _, _, import_time = load(client, binary, env, count)
        if env["DATABASE_URL"].startswith("postgres"):
            subprocess.run(["psql", env["DATABASE_URL"], "-qc", "VACUUM ANALYZE"], check=True,
                           capture_output=True)
        year = datetime.date.today().year
        t = time.perf_counter()
        client.call("GET", f"/api/v1/reports/annual?year={year}", None)
        first = (time.perf_counter() - t) * 1000
        submitter = client.all("/api/v1/stakeholders?kind=un_entity", admin)[0]["id"]
        calls = [
            ("annual report, public", f"/api/v1/reports/annual?year={year}", None),
            ("annual report, full (admin)", f"/api/v1/reports/annual?year={year}&scope=full",
             admin),
            ("statistics, public", "/api/v1/statistics", None),
        ]
        rows = []
        for i, (name, path, token) in enumerate(calls):
            counted = []
            for j in range(cold):
                # A submission, so that the next call counts the figures again.
                client.call("POST", "/api/v1/activities", admin, json.dumps({
                    "title": {"en": f"Submitted before call {i}.{j}"},
                    "states_concerned": ["KEN"], "submitter": submitter,
                    "publication": "submitted", "status": "implementation",
                    "planned_start": f"{year}-01-01",
                }).encode())
                t = time.perf_counter()
                client.call("GET", path, token)
                counted.append((time.perf_counter() - t) * 1000)
            for _ in range(5):
                client.call("GET", path, token)
            kept = []
            for _ in range(warm):
                t = time.perf_counter()
                client.call("GET", path, token)
                kept.append((time.perf_counter() - t) * 1000)
            rows.append((name, percentiles(counted), percentiles(kept)))
        activities = json.loads(client.call("GET", f"/api/v1/reports/annual?year={year}&scope=full",
                                            admin))
        total = sum(r[2] for r in activities["tables"][0]["rows"])
        return import_time, total, first, rows
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=default_binary())
    ap.add_argument("--count", type=int, default=50000)
    ap.add_argument("--cold", type=int, default=10)
    ap.add_argument("--warm", type=int, default=100)
    args = ap.parse_args()
    with databases() as runs:
        for db, e in runs:
            import_time, total, first, rows = measure(args.binary, e, args.count, args.cold,
                                                      args.warm)
            print(f"\n{db}: {args.count} activities imported in {import_time:.1f} s "
                  f"({total} State-activity pairs in this year's full report); the first "
                  f"report, read from nothing: {first:.0f} ms")
            print("| call | after a write p50 | p95 | kept p50 | p95 |")
            print("|---|---|---|---|---|")
            for name, (c50, c95), (k50, k95) in rows:
                print(f"| {name} | {c50:.1f} ms | {c95:.1f} ms | {k50:.2f} ms | {k95:.2f} ms |")


if __name__ == "__main__":
    main()
