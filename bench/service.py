#!/usr/bin/env python3
"""Start-up-to-ready time and the request rate of /health/live, for docs/benchmarks.md.

    cargo build --release --bin upr-tc
    python3 bench/service.py [--binary PATH] [--runs 20] [--seconds 10]

Start-up: `upr-tc serve` on an existing, migrated SQLite database (and PostgreSQL when
BENCH_DATABASE_URL is set), timed from spawn to the first 200 from /health/ready. Rate: `wrk`
(Debian package wrk) against /health/live, on the same 2 cores as the server.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


def start(binary, env, port):
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + 30
    while time.perf_counter() < deadline:
        if ready(port):
            return proc, time.perf_counter() - t0
        if proc.poll() is not None:
            sys.exit(f"upr-tc exited with {proc.returncode}")
        time.sleep(0.002)
    proc.kill()
    sys.exit("upr-tc did not become ready in 30 s")


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


def startup(binary, env, runs):
    times = []
    for _ in range(runs):
        proc, elapsed = start(binary, env, free_port())
        times.append(elapsed * 1000)
        stop(proc)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "release", "upr-tc"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    env = dict(os.environ, UPR_TC_LOG="warn", UPR_TC_JWT_SECRET="b" * 64,
               DATABASE_URL=f"sqlite://{work}/bench.sqlite3")
    try:
        subprocess.run([args.binary, "migrate"], env=env, check=True, capture_output=True)
        databases = [("sqlite", env)]
        if os.environ.get("BENCH_DATABASE_URL"):
            pg = dict(env, DATABASE_URL=os.environ["BENCH_DATABASE_URL"])
            subprocess.run([args.binary, "migrate"], env=pg, check=True, capture_output=True)
            databases.append(("postgres", pg))
        for name, e in databases:
            t = startup(args.binary, e, args.runs)
            print(f"start-up to ready, {name}: median {statistics.median(t):.1f} ms, "
                  f"min {min(t):.1f} ms, max {max(t):.1f} ms ({args.runs} runs)")
        if shutil.which("wrk") is None:
            print("wrk is not installed (apt-get install wrk): no request rate")
            return
        port = free_port()
        proc, _ = start(args.binary, env, port)
        try:
            out = subprocess.run(["wrk", "-t2", "-c32", f"-d{args.seconds}s", "--latency",
                                  f"http://127.0.0.1:{port}/health/live"],
                                 check=True, capture_output=True, text=True).stdout
            print(out)
        finally:
            stop(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
