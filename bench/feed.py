#!/usr/bin/env python3
"""The change feed's catch-up by one client (pages of 1,000, the public feed from its start to
its head, `load.catch_up`), for one or more builds on a database already filled, the builds
taking turns so that none gains from running second, for docs/benchmarks.md.

    upr-tc seed --scale un --seed 1          # with DATABASE_URL set, once
    python3 bench/feed.py --database URL --binary BUILD [--binary OTHER] [--rounds 2]
        [--runs 3] [--env UPR_TC_KEPT_BYTES=0]

Each round serves the database with each build in turn (in the opposite order every other
round) and catches up `--runs` times in a row; the table gives every catch-up's rate and each
build's median. The catch-ups write nothing, but `serve` applies a build's pending migrations
first: compare builds with the same migrations, as `bench/load.py --baseline` asks.
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from activities import default_binary, free_port, wait_ready  # noqa: E402
from load import catch_up, token  # noqa: E402


def serve_and_catch_up(binary, env, runs):
    """The rates (changes/s) of `runs` catch-ups in a row with `binary` serving."""
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        sync = token(binary, env, "--role", "sync", "--subject", "bench-feed")
        rates = []
        for _ in range(runs):
            changes, seconds = catch_up(port, sync)
            rates.append(changes / seconds)
        return changes, rates
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", required=True, help="DATABASE_URL of a filled database")
    ap.add_argument("--binary", action="append", help="a release build (repeatable)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3, help="catch-ups in a row per serve")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting for the service (repeatable)")
    args = ap.parse_args()
    binaries = args.binary or [default_binary()]
    env = dict(os.environ, DATABASE_URL=args.database, UPR_TC_LOG="warn",
               UPR_TC_JWT_SECRET="b" * 64, UPR_TC_RATE_LIMITS="off")
    env.update(kv.split("=", 1) for kv in args.env)
    rates = {b: [] for b in binaries}
    changes = 0
    for r in range(args.rounds):
        for b in (binaries if r % 2 == 0 else binaries[::-1]):
            changes, got = serve_and_catch_up(b, env, args.runs)
            rates[b].append(got)
    print(f"{changes:,} changes a catch-up; {args.rounds} rounds of {args.runs} in a row")
    print("| build | changes/s, each round | median |")
    print("|---|---|---|")
    for b, rounds in rates.items():
        each = "; ".join(", ".join(f"{x:,.0f}" for x in got) for got in rounds)
        median = statistics.median(x for got in rounds for x in got)
        print(f"| `{os.path.basename(b)}` | {each} | {median:,.0f} |")


if __name__ == "__main__":
    main()
