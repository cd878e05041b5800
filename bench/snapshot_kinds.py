#!/usr/bin/env python3
"""The snapshot of some kinds (`GET /api/v1/export?types=`), for docs/benchmarks.md: how long
a caller waits for the whole answer right after a write (a snapshot read anew) and once more
while the data is unchanged (the snapshot kept), with two builds side by side on copies of one
seeded SQLite file.

    python3 bench/snapshot_kinds.py --binary BEFORE --binary AFTER [--scale un] [--rounds 3]

Seeds the data set once with the first binary (`upr-tc seed --scale S --seed 1`), copies the
file for each binary (a later build migrates its own copy), then in each round, for each build
in turn (the order alternating from round to round): starts it, and for each set of kinds
writes one stakeholder (so that the next snapshot is read anew), reads the snapshot whole, and
reads it again. Prints the medians over the rounds, in seconds, and the answer's bytes.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from list import free_port, wait_ready  # noqa: E402

KINDS = ["consent", "activity,consent", "recommendation", ""]


def token(binary, env):
    return subprocess.run([binary, "token", "--role", "admin", "--subject", "bench-snapshot"],
                          env=env, check=True, capture_output=True, text=True).stdout.strip()


def write_one(port, tok):
    body = ('{"kind": "academia", "country": "KEN", "name": {"en": "Bench %s"}}'
            % uuid.uuid4()).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/stakeholders", data=body,
                                 method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {tok}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        r.read()


def snapshot(port, types):
    """Seconds to read the whole answer, and its bytes; anonymous, as a partner starts."""
    query = f"?types={types}" if types else ""
    started = time.perf_counter()
    size = 0
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/export{query}",
                                timeout=3600) as r:
        while chunk := r.read(1 << 20):
            size += len(chunk)
    return time.perf_counter() - started, size


def run(binary, env, rounds_out):
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        tok = token(binary, env)
        for types in KINDS:
            write_one(port, tok)
            fresh, size = snapshot(port, types)
            kept, _ = snapshot(port, types)
            rounds_out.setdefault(types, []).append((fresh, kept, size))
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", action="append", required=True)
    ap.add_argument("--scale", default="un")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="upr-tc-snapshot-kinds-")
    try:
        seeded = os.path.join(work, "seeded.sqlite")
        env = dict(os.environ, DATABASE_URL=f"sqlite://{seeded}", UPR_TC_LOG="warn")
        subprocess.run([args.binary[0], "seed", "--scale", args.scale, "--seed", "1"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        envs = []
        for i, _ in enumerate(args.binary):
            copy = os.path.join(work, f"copy-{i}.sqlite")
            for suffix in ["", "-wal", "-shm"]:
                if os.path.exists(seeded + suffix):
                    shutil.copy(seeded + suffix, copy + suffix)
            envs.append(dict(os.environ, DATABASE_URL=f"sqlite://{copy}", UPR_TC_LOG="warn"))
        results = [dict() for _ in args.binary]
        for r in range(args.rounds):
            order = list(range(len(args.binary)))
            if r % 2:
                order.reverse()
            for i in order:
                run(args.binary[i], envs[i], results[i])
        print("| types | " + " | ".join(
            f"read anew, {os.path.basename(b)} | kept" for b in args.binary)
            + " | bytes |")
        print("|---|" + "---|---|" * len(args.binary) + "---|")
        for types in KINDS:
            cells = []
            for res in results:
                rows = res[types]
                cells.append(f"{statistics.median(f for f, _, _ in rows):.2f} s")
                cells.append(f"{statistics.median(k for _, k, _ in rows):.2f} s")
            size = results[-1][types][-1][2]
            print(f"| `{types or 'all'}` | " + " | ".join(cells) + f" | {size:,} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
