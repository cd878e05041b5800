#!/usr/bin/env python3
"""List and search latency with 50,000 recommendations, for docs/benchmarks.md.

    cargo build --release --bin upr-tc
    python3 bench/list.py [--count 50000] [--requests 300]

Loads synthetic recommendations (seeded, so every run has the same data) through the bulk
NDJSON upload, then times sequential requests over one keep-alive connection and reports p50
and p99 per query. SQLite always; PostgreSQL too when BENCH_DATABASE_URL names a server where
databases may be created.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
import uuid

WORDS = ("ratify convention protocol torture women rights children education health justice "
         "detention police training national institution independent discrimination minorities "
         "migrants trafficking violence domestic legislation adopt implement strengthen ensure "
         "access water housing land indigenous peoples disability elections freedom expression").split()
STATES = ["KEN", "UGA", "FRA", "BRA", "IND", "CHN", "USA", "DEU", "NGA", "MEX", "EGY", "IDN",
          "PAK", "ZAF", "ARG", "CAN", "JPN", "RUS", "TUR", "VNM"]
THEMES = ["womens_rights", "rights_of_the_child", "torture_and_cid_treatment", "justice", "detention",
          "right_to_education", "right_to_health", "migrants", "trafficking", "nhri"]


def rows(count, seed=54):
    rnd = random.Random(seed)
    for i in range(count):
        text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 30)))
        yield json.dumps({
            "state_under_review": rnd.choice(STATES),
            "recommending_states": rnd.sample(STATES, rnd.randint(1, 3)),
            "session": rnd.randint(1, 54),
            "text": {"en": f"{text} ({i})."},
            "response": rnd.choice(["supported", "noted", "supported_in_part"]),
            "action_category": rnd.randint(1, 5),
            "themes": rnd.sample(THEMES, rnd.randint(1, 3)),
        })


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port):
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1):
                return
        except Exception:
            time.sleep(0.05)
    raise SystemExit("not ready")


QUERIES = [
    ("first page, no filter", "/api/v1/recommendations?limit=50"),
    ("State under review", "/api/v1/recommendations?state_under_review=KEN&limit=50"),
    ("theme (facet)", "/api/v1/recommendations?theme=trafficking&limit=50"),
    ("regional group + response", "/api/v1/recommendations?regional_group=african&response=supported&limit=50"),
    ("full-text search, ranked", "/api/v1/recommendations?q=torture+police&limit=50"),
    ("search + filter", "/api/v1/recommendations?q=children&state_under_review=BRA&limit=50"),
    ("page 200 by cursor", None),
]


def measure(binary, env, count, requests):
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        token = subprocess.run([binary, "token", "--role", "admin"], env=env, check=True,
                               capture_output=True, text=True).stdout.strip()
        body = "\n".join(rows(count)).encode()
        t0 = time.perf_counter()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/bulk/recommendations?mode=partial",
                                     data=body, method="POST",
                                     headers={"Content-Type": "application/x-ndjson",
                                              "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=3600) as r:
            report = json.load(r)
        load = time.perf_counter() - t0
        conn = http.client.HTTPConnection("127.0.0.1", port)

        def get(path):
            conn.request("GET", path)
            r = conn.getresponse()
            data = r.read()
            assert r.status == 200, (path, r.status, data[:200])
            return data

        # The cursor of page 200 (item 10,000): a deep page.
        deep = "/api/v1/recommendations?limit=50"
        for _ in range(199):
            deep = "/api/v1/recommendations?limit=50&cursor=" + json.loads(get(deep))["next_cursor"]
        out = []
        for name, path in QUERIES:
            path = path or deep
            for _ in range(10):
                get(path)
            times = []
            for _ in range(requests):
                t = time.perf_counter()
                get(path)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            out.append((name, statistics.median(times), times[int(len(times) * 0.99) - 1]))
        return report, load, out
    finally:
        proc.terminate()
        proc.wait()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target")), "release", "upr-tc"))
    ap.add_argument("--count", type=int, default=50000)
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    env = dict(os.environ, UPR_TC_LOG="warn", UPR_TC_JWT_SECRET="b" * 64,
               UPR_TC_BULK_LIMIT=str(1 << 30), UPR_TC_RATE_LIMITS="off")
    runs = [("sqlite", dict(env, DATABASE_URL=f"sqlite://{work}/bench.sqlite3"), None)]
    base = os.environ.get("BENCH_DATABASE_URL")
    if base:
        name = f"upr_tc_bench_{uuid.uuid4().hex[:12]}"
        subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        runs.append(("postgres", dict(env, DATABASE_URL=base.rpartition("/")[0] + "/" + name), name))
    try:
        for db, e, _ in runs:
            report, load, out = measure(args.binary, e, args.count, args.requests)
            print(f"\n{db}: loaded {report['created']} recommendations in {load:.1f} s "
                  f"({report['created'] / load:,.0f} items/s over HTTP NDJSON)")
            print("| query | p50 | p99 |")
            print("|---|---|---|")
            for name, p50, p99 in out:
                print(f"| {name} | {p50:.2f} ms | {p99:.2f} ms |")
    finally:
        for _, _, name in runs:
            if name:
                subprocess.run(["psql", base, "-qc", f"DROP DATABASE {name} WITH (FORCE)"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
