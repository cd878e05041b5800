#!/usr/bin/env python3
"""One caller's searches beside another's that sends many at once: what each caller's share of
the searches (`shares`) changes, measured side by side on one server's data.

    cargo build --release --bin upr-tc
    python3 bench/share.py [--binary target/release/upr-tc] [--scale small] [--hostile 16] \\
        [--duration 10]

A SQLite database is filled with `upr-tc seed --scale SCALE` once, then served twice by the
same binary with the default search limit (a quarter of the pool):

- shares off: `UPR_TC_RATE_LIMITS=off` (the budgets off, and with them the shares);
- shares on: budgets so large that none is reached (a million requests a minute), so that
  only the shares differ.

Each time, a caller with one token runs `--hostile` searches at once, back to back (`wrk
-t2 -cHOSTILE`, Debian's `wrk`), each a word of UPR texts with a page size of its own (one
word and size of 4,000: few are given from what is kept), while another caller, with another token, runs one search at a time (one
Python thread). For each caller: searches answered a second, p50 and p99 latency, and what was
refused (503 when every permit stayed taken for 2 s, 429 when a caller waited that long for one
of its own).
"""
import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from activities import free_port, seeded, seeded_arguments, wait_ready  # noqa: E402
from load import wrk  # noqa: E402

WORDS = ["torture", "children", "women", "education", "health", "police", "prison", "media",
         "journalists", "migrants", "refugees", "disabilities", "violence", "elections",
         "corruption", "poverty", "housing", "water", "food", "labour", "trafficking", "judges",
         "minorities", "indigenous", "religion", "expression", "assembly", "death", "penalty",
         "discrimination", "gender", "equality", "ombudsman", "institution", "ratify",
         "convention", "protocol", "cooperation", "training", "awareness"]


def token(binary, env, subject):
    out = subprocess.run([binary, "token", "--role", "sync", "--subject", subject],
                         env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


class Caller(threading.Thread):
    """Searches back to back until `stop`, recording each answer's status and seconds."""

    def __init__(self, port, bearer, stop, rng):
        super().__init__(daemon=True)
        self.port, self.bearer, self.stop, self.rng = port, bearer, stop, rng
        self.answers = []

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop.is_set():
            word = self.rng.choice(WORDS)
            path = f"/api/v1/recommendations?q={word}&limit={self.rng.randint(1, 100)}"
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Authorization": f"Bearer {self.bearer}"})
                res = conn.getresponse()
                res.read()
                status = res.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                status = 0
            self.answers.append((status, time.perf_counter() - start))


def summary(answers, seconds):
    ok = sorted(t for s, t in answers if s == 200)
    refused = {}
    for s, _ in answers:
        if s != 200:
            refused[s] = refused.get(s, 0) + 1

    def pct(p):
        return ok[min(len(ok) - 1, int(p * len(ok)))] * 1000 if ok else None

    return {"ok_per_s": len(ok) / seconds, "p50_ms": pct(0.5), "p99_ms": pct(0.99),
            "refused": refused, "answers": len(answers)}


def run(args, env, limits):
    env = dict(env, UPR_TC_RATE_LIMITS=limits)
    port = free_port()
    proc = subprocess.Popen([args.binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        hostile_token = token(args.binary, env, "bench-hostile")
        other_token = token(args.binary, env, "bench-other")
        rng = random.Random(args.seed)
        hostile_paths = [f"/api/v1/recommendations?q={rng.choice(WORDS)}"
                         f"&limit={rng.randint(1, 100)}" for _ in range(5000)]
        hostile = {}
        load = argparse.Namespace(threads=2, connections=args.hostile,
                                  duration=int(args.duration) + 2)
        attack = threading.Thread(target=lambda: hostile.update(
            wrk(port, hostile_paths, load, tokens=[hostile_token])))
        attack.start()
        time.sleep(1)
        stop = threading.Event()
        other = Caller(port, other_token, stop, random.Random(rng.random()))
        other.start()
        time.sleep(args.duration)
        stop.set()
        other.join()
        attack.join()
        refused = {s: n for s, n in hostile["statuses"].items() if s != 200}
        return {
            "hostile": {"ok_per_s": hostile["ok_per_s"], "p50_ms": hostile["p50"],
                        "p99_ms": hostile["p99"], "refused": refused,
                        "answers": hostile["requests"]},
            "other": summary(other.answers, args.duration),
        }
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = seeded_arguments(__doc__.splitlines()[0])
    parser.add_argument("--hostile", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10)
    args = parser.parse_args()
    with seeded(args.binary, args.scale, args.seed, "upr-tc-share-") as env:
        results = {
            "shares off (UPR_TC_RATE_LIMITS=off)": run(args, env, "off"),
            "shares on": run(args, env, "anonymous=1000000,token=1000000,sync=1000000"),
        }
    print(json.dumps(results, indent=2))
    print(f"\n| `--hostile {args.hostile}`, {args.duration:g} s | caller | searches/s | p50 ms "
          "| p99 ms | refused |")
    print("|---|---|---|---|---|---|")
    for mode, result in results.items():
        for who in ("other", "hostile"):
            r = result[who]
            p50 = f"{r['p50_ms']:.0f}" if r["p50_ms"] is not None else "—"
            p99 = f"{r['p99_ms']:.0f}" if r["p99_ms"] is not None else "—"
            refused = ", ".join(f"{n} × {s}" for s, n in sorted(r["refused"].items())) or "none"
            print(f"| {mode} | {who} | {r['ok_per_s']:.1f} | {p50} | {p99} | {refused} |")


if __name__ == "__main__":
    main()
