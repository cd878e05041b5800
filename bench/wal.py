#!/usr/bin/env python3
"""The SQLite write-ahead log while partners take snapshots and uploads write, for
docs/benchmarks.md.

    cargo build --release --bin upr-tc
    DATABASE_URL=sqlite:///tmp/wal/un.sqlite3 upr-tc seed --scale un --seed 1
    python3 bench/wal.py --binary PATH --database /tmp/wal/un.sqlite3 [--seconds 150]
        [--exporters 2] [--every 3] [--rows 2000]

The database is copied first, so every run starts from the same file. `--exporters` clients,
each with its own token, read `GET /api/v1/export` back to back, whole; one more uploads
`--rows` new recommendations (`POST /api/v1/bulk/recommendations`) every `--every` seconds.
Every 10 s, and at the end, the size of the log (`…-wal`) and of the database is printed, with
the snapshots and uploads done so far.
"""
import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from service import free_port, start, stop  # noqa: E402

SECRET = "w" * 64


def token(binary, env, *args):
    out = subprocess.run([binary, "token", *args], env=env, check=True, capture_output=True,
                         text=True)
    return out.stdout.strip()


def size(path):
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--database", required=True, help="a seeded SQLite file, copied first")
    ap.add_argument("--seconds", type=int, default=150)
    ap.add_argument("--exporters", type=int, default=2)
    ap.add_argument("--every", type=float, default=3.0)
    ap.add_argument("--rows", type=int, default=2000)
    args = ap.parse_args()

    work = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(args.database)))
    db = os.path.join(work, "wal.sqlite3")
    shutil.copyfile(args.database, db)
    env = dict(os.environ, DATABASE_URL=f"sqlite://{db}", UPR_TC_JWT_SECRET=SECRET,
               UPR_TC_RATE_LIMITS="off", UPR_TC_LOG="warn", UPR_TC_BULK_LIMIT=str(1 << 30))
    port = free_port()
    proc, _ = start(args.binary, env, port)
    admin = token(args.binary, env, "--role", "admin")
    partners = [token(args.binary, env, "--role", "sync", "--subject", f"wal-{i}")
                for i in range(args.exporters)]
    stopping = threading.Event()
    done = {"snapshots": 0, "uploads": 0, "errors": 0}
    failures = {}
    lock = threading.Lock()

    def count(what, failure=None):
        with lock:
            done[what] += 1
            if failure:
                failures[failure] = failures.get(failure, 0) + 1

    def send(what, method, path, headers, body=None):
        """One request on a connection of its own, its answer read whole and counted."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        try:
            conn.request(method, path, body=body, headers=headers)
            res = conn.getresponse()
            first = res.read(1 << 20)
            while res.read(1 << 20):
                pass
            if res.status == 200:
                count(what + "s")
            else:
                count("errors", f"{what} {res.status} {first[:120]!r}")
        except OSError as e:
            count("errors", f"{what} {type(e).__name__}")
        finally:
            conn.close()

    def exporter(tok):
        while not stopping.is_set():
            send("snapshot", "GET", "/api/v1/export", {"Authorization": f"Bearer {tok}"})

    def uploader():
        n = 0
        while not stopping.is_set():
            began = time.monotonic()
            rows = "".join(f"KEN,{30 + n % 9},Recommendation {n}-{i} written under load\n"
                           for i in range(args.rows))
            body = ("state_under_review,session,text__en\n" + rows).encode()
            send("upload", "POST", "/api/v1/bulk/recommendations",
                 {"Authorization": f"Bearer {admin}", "Content-Type": "text/csv"}, body)
            n += 1
            stopping.wait(max(0.0, args.every - (time.monotonic() - began)))

    threads = [threading.Thread(target=exporter, args=(t,)) for t in partners]
    threads.append(threading.Thread(target=uploader))
    began = time.monotonic()
    for t in threads:
        t.start()
    peak, printed = 0, -1
    try:
        while True:
            elapsed = time.monotonic() - began
            wal = size(db + "-wal")
            peak = max(peak, wal)
            if int(elapsed) // 10 > printed or elapsed >= args.seconds:
                printed = int(elapsed) // 10
                with lock:
                    print(f"{elapsed:6.0f} s  log {wal / 1e6:8.1f} MB  database "
                          f"{size(db) / 1e6:8.1f} MB  snapshots {done['snapshots']}  "
                          f"uploads {done['uploads']}  errors {done['errors']}", flush=True)
            if elapsed >= args.seconds:
                break
            time.sleep(1 - (time.monotonic() - began) % 1)
    finally:
        stopping.set()
        for t in threads:
            t.join(timeout=120)
        print(f"peak log {peak / 1e6:.1f} MB; failures {failures}", flush=True)
        stop(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
