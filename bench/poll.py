#!/usr/bin/env python3
"""Dashboards polling the live statistics and this year's report while nothing is written:
what keeping a report counted under the data's version (`app::kept`, the `rankings` store)
saves each poll, measured side by side on one server's data.

    cargo build --release --bin upr-tc
    python3 bench/poll.py [--binary target/release/upr-tc] [--scale small] [--duration 10]

A SQLite database is filled with `upr-tc seed --scale SCALE` once, then served twice by the
same binary (`UPR_TC_RATE_LIMITS=off`, as bench/load.py):

- kept: the default `UPR_TC_KEPT_BYTES`: a poll of figures counted from the same data is given
  them without a permit of the rankings or a connection;
- not kept: `UPR_TC_KEPT_BYTES=0`: each poll takes a permit of the rankings and a connection
  and reads the data's version, then finds the figures counted for it (the path every poll
  took before the rankings' store; nothing is counted again either way);
- with `--before BINARY`, an earlier build the same way as "not kept", on the same data.

Each time `wrk -t2 -c32` (Debian's `wrk`) asks for `/health/live`, then for the public
statistics and this year's public report in turn; each row gives answers a second, p50 and
p99, and the ratio to `/health/live` of the same server.
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from activities import free_port, seeded, seeded_arguments, wait_ready  # noqa: E402
from load import first_answer, wrk  # noqa: E402


def run(args, env, kept_bytes, binary=None):
    if kept_bytes is not None:
        env = dict(env, UPR_TC_KEPT_BYTES=str(kept_bytes))
    port = free_port()
    proc = subprocess.Popen([binary or args.binary, "serve", "--bind", f"127.0.0.1:{port}"],
                            env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        year = datetime.date.today().year
        polls = ["/api/v1/statistics", f"/api/v1/reports/annual?year={year}"]
        # Counted once before the load: every poll then finds its figures.
        for path in polls:
            first_answer(port, path)
        load = argparse.Namespace(threads=2, connections=32, duration=args.duration)
        health = wrk(port, ["/health/live"], load)
        polled = wrk(port, polls, load)
        return {"health": health, "polls": polled}
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = seeded_arguments(__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--before", help="another build, served the same data with "
                        "UPR_TC_KEPT_BYTES=0 too (an earlier commit's), for rows of its own")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    with seeded(args.binary, args.scale, args.seed, "upr-tc-poll-",
                UPR_TC_RATE_LIMITS="off") as env:
        results = {
            "kept (default UPR_TC_KEPT_BYTES)": run(args, env, None),
            "not kept (UPR_TC_KEPT_BYTES=0)": run(args, env, 0),
        }
        if args.before:
            results["--before, not kept"] = run(args, env, 0, args.before)
    print(json.dumps(results, indent=2))
    print(f"\n| {args.scale}, `wrk -t2 -c32 -d{args.duration}s` | request | answers/s | p50 ms "
          "| p99 ms | ratio to /health/live | not 2xx |")
    print("|---|---|---|---|---|---|---|")
    for mode, result in results.items():
        health = result["health"]["ok_per_s"]
        for name, row in (("/health/live", result["health"]),
                          ("statistics and report, in turn", result["polls"])):
            print(f"| {mode} | {name} | {row['ok_per_s']:,.0f} | {row['p50']:.2f} | "
                  f"{row['p99']:.2f} | {row['ok_per_s'] / health:.3f} | {row['other']} |")


if __name__ == "__main__":
    main()
