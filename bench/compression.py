#!/usr/bin/env python3
"""What compression does to large answers (issue 13): bytes sent and time to the last byte.

    cargo build --release --bin upr-tc
    python3 bench/compression.py [--binary PATH] [--count 5000] [--requests 50]

Loads bench/activities.py's data set (`--count` activities) into a new SQLite database, then
asks for each answer with each `Accept-Encoding` (none, gzip, br, zstd), `--requests` times
over one keep-alive connection, as `admin`: a change-feed page of 500, a list page of 200
activities, and the CSV export of every activity. Prints the bytes on the wire and the median
and 95th percentile of the time from the request to the last byte read, on the same server in
the same run. The time is the server's compression work, on a loopback connection: what the
smaller answers save on a real network is not in it.
"""
import argparse
import statistics
import subprocess
import time

from activities import Client, databases, default_binary, free_port, load, wait_ready

CODINGS = ["identity", "gzip", "br", "zstd"]


def fetch(client, path, token, coding, accept):
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": coding, "Accept": accept}
    t = time.perf_counter()
    client.conn.request("GET", path, headers=headers)
    r = client.conn.getresponse()
    data = r.read()
    elapsed = (time.perf_counter() - t) * 1000
    assert r.status == 200, (path, r.status, data[:200])
    sent = r.getheader("Content-Encoding") or "identity"
    assert sent == coding, (path, coding, sent)
    return len(data), elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=default_binary())
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--requests", type=int, default=50)
    args = ap.parse_args()
    with databases() as runs:
        _, env = runs[0]
        port = free_port()
        proc = subprocess.Popen([args.binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(port)
            client = Client(port)
            admin, _, _, _ = load(client, args.binary, env, args.count)
            paths = [
                ("change feed, 500 changes", "/api/v1/changes?limit=500", "application/json"),
                ("activities, a page of 200", "/api/v1/activities?limit=200",
                 "application/json"),
                (f"activities, CSV export of {args.count}", "/api/v1/activities", "text/csv"),
            ]
            print(f"SQLite, {args.count} activities, {args.requests} requests each")
            print("| answer | coding | bytes | ratio | p50 | p95 |")
            print("|---|---|---|---|---|---|")
            for name, path, accept in paths:
                plain = None
                for coding in CODINGS:
                    fetch(client, path, admin, coding, accept)
                    times, size = [], 0
                    for _ in range(args.requests):
                        size, ms = fetch(client, path, admin, coding, accept)
                        times.append(ms)
                    times.sort()
                    plain = plain or size
                    p95 = times[max(0, int(len(times) * 0.95) - 1)]
                    print(f"| {name} | {coding} | {size:,} | {size / plain:.2f} | "
                          f"{statistics.median(times):.1f} ms | {p95:.1f} ms |")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
