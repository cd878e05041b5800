#!/usr/bin/env python3
"""Sync for partner databases, for docs/benchmarks.md: the snapshot export of 100,000 items
(items/s, the server's peak memory), the change feed's catch-up rate, and how soon a waiting
partner hears of a change (long-poll delivery latency).

    cargo build --release --bin upr-tc
    python3 bench/sync.py [--count 100000] [--deliveries 30]

Loads synthetic recommendations (seeded) through the bulk NDJSON upload, then restarts the
server, so the peak memory it reports afterwards is the snapshot's own. SQLite always;
PostgreSQL too when BENCH_DATABASE_URL names a server where databases may be created.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from list import free_port, rows, wait_ready  # noqa: E402


def memory_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def serve(binary, env):
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port)
    return proc, port


def measure(binary, env, count, deliveries):
    out = {}
    proc, port = serve(binary, env)
    try:
        token = subprocess.run([binary, "token", "--role", "admin"], env=env, check=True,
                               capture_output=True, text=True).stdout.strip()
        body = "\n".join(rows(count)).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/bulk/recommendations?mode=partial",
                                     data=body, method="POST",
                                     headers={"Content-Type": "application/x-ndjson",
                                              "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=3600) as r:
            out["loaded"] = json.load(r)["created"]
    finally:
        proc.terminate()
        proc.wait()

    proc, port = serve(binary, env)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        # Snapshot: every public item, streamed.
        rss_before = memory_kb(proc.pid, "VmRSS")
        t0 = time.perf_counter()
        conn.request("GET", "/api/v1/export")
        r = conn.getresponse()
        cursor = r.getheader("X-Changes-Cursor")
        lines = 0
        size = 0
        while True:
            chunk = r.read(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            lines += chunk.count(b"\n")
        elapsed = time.perf_counter() - t0
        out["snapshot"] = dict(items=lines, seconds=elapsed, mb=size / 1e6, cursor=cursor,
                               rss_before_mb=rss_before / 1024,
                               peak_mb=memory_kb(proc.pid, "VmHWM") / 1024)

        # Feed catch-up: from the beginning, 1,000 changes a page.
        t0 = time.perf_counter()
        # No `after`: from the start (a cursor is opaque, signed by the service).
        after, changes = None, 0
        while True:
            conn.request("GET", "/api/v1/changes?limit=1000" + (f"&after={after}" if after else ""))
            page = json.loads(conn.getresponse().read())
            changes += len(page["items"])
            after = page["next_cursor"]
            if not page["has_more"]:
                break
        out["feed"] = dict(changes=changes, seconds=time.perf_counter() - t0)

        # Delivery: a partner waits on the head; a write commits; how long until it hears?
        latencies = []
        rnd = random.Random(5428)
        for i in range(deliveries):
            heard = {}

            def wait(after=after):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                c.request("GET", f"/api/v1/changes?after={after}&wait=30")
                page = json.loads(c.getresponse().read())
                heard["at"] = time.perf_counter()
                heard["page"] = page

            waiter = threading.Thread(target=wait)
            waiter.start()
            # A random moment, so the write does not fall in step with the waiter's polling.
            time.sleep(0.3 + rnd.random() / 10)
            w = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            w.request("POST", "/api/v1/recommendations", body=json.dumps({
                "state_under_review": "KEN", "session": 30,
                "text": {"en": f"Delivered {i} {uuid.uuid4()}"}}),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            resp = w.getresponse()
            body_of_post = resp.read()
            committed = time.perf_counter()
            assert resp.status == 201, resp.status
            created = json.loads(body_of_post)["id"]
            waiter.join()
            assert [x["id"] for x in heard["page"]["items"]] == [created], heard
            latencies.append((heard["at"] - committed) * 1000)
            after = heard["page"]["next_cursor"]
        latencies.sort()
        out["delivery"] = dict(p50=statistics.median(latencies), min=latencies[0],
                               max=latencies[-1], n=len(latencies))
        return out
    finally:
        proc.terminate()
        proc.wait()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target")), "release", "upr-tc"))
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--deliveries", type=int, default=30)
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    env = dict(os.environ, UPR_TC_LOG="warn", UPR_TC_JWT_SECRET="b" * 64,
               UPR_TC_BULK_LIMIT=str(1 << 31), UPR_TC_RATE_LIMITS="off")
    runs = [("sqlite", dict(env, DATABASE_URL=f"sqlite://{work}/bench.sqlite3"), None)]
    base = os.environ.get("BENCH_DATABASE_URL")
    if base:
        name = f"upr_tc_bench_{uuid.uuid4().hex[:12]}"
        subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        runs.append(("postgres", dict(env, DATABASE_URL=base.rpartition("/")[0] + "/" + name), name))
    try:
        for db, e, _ in runs:
            r = measure(args.binary, e, args.count, args.deliveries)
            s, f, d = r["snapshot"], r["feed"], r["delivery"]
            print(f"\n{db}: {r['loaded']} recommendations loaded")
            print(f"snapshot: {s['items']} items, {s['mb']:.0f} MB in {s['seconds']:.2f} s "
                  f"= {s['items'] / s['seconds']:,.0f} items/s; server memory {s['rss_before_mb']:.0f} MB "
                  f"before, peak {s['peak_mb']:.0f} MB")
            print(f"feed catch-up: {f['changes']} changes in {f['seconds']:.2f} s "
                  f"= {f['changes'] / f['seconds']:,.0f} changes/s (pages of 1,000)")
            print(f"long-poll delivery after commit: p50 {d['p50']:.1f} ms, min {d['min']:.1f} ms, "
                  f"max {d['max']:.1f} ms ({d['n']} changes)")
    finally:
        for _, _, name in runs:
            if name:
                subprocess.run(["psql", base, "-qc", f"DROP DATABASE {name} WITH (FORCE)"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
