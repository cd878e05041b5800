#!/usr/bin/env python3
"""Clients that pipeline HTTP/1.1 requests (send them before reading the answers), against the
service's other callers (docs/security.md, "requests pipelined on one connection").

    python3 bench/pipelining.py --binary target/release/upr-tc [--baseline OLDER_BINARY] \\
        [--seconds 10]

For each binary (the baseline first, when given), on one database seeded once
(`upr-tc seed --scale small`), with rate limits off so that nothing but the flood is measured:

- **a flood that reads**: one connection sends `GET /health/live` 200 at a time without end
  and reads the answers; meanwhile a probe opens a new connection every 0.25 s and asks
  `/health/live` (the service's workers take connections in turn, so about half the probes
  land on the flooded worker). The row gives the probes' median and worst latency, how many
  were answered 408 or not within 30 s, and how many requests the flood had answered;
- **floods that do not read**: ten connections each send `GET /api/v1/activities?limit=200`
  until their socket takes no more, and never read; the row gives the service's own memory
  (`RssAnon`) before and three seconds after.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time

PORT = 18791


def status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def probe(timeout=30.0):
    """One request on a new connection: (seconds, status line)."""
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=timeout) as s:
            s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            head = s.recv(64).split(b"\r\n")[0].decode()
    except OSError as e:
        head = f"error: {e}"
    return time.monotonic() - start, head


def flood_that_reads(seconds):
    stop = time.monotonic() + seconds
    s = socket.create_connection(("127.0.0.1", PORT))
    answered = [0]

    def read():
        while time.monotonic() < stop:
            try:
                data = s.recv(1 << 16)
            except OSError:
                return
            if not data:
                return
            answered[0] += data.count(b"HTTP/1.1 ")

    threading.Thread(target=read, daemon=True).start()
    burst = b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n" * 200

    def send():
        while time.monotonic() < stop:
            try:
                s.sendall(burst)
            except OSError:
                return

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    time.sleep(1)
    probes = []
    while time.monotonic() < stop - 0.5:
        probes.append(probe())
        time.sleep(0.25)
    sender.join()
    s.close()
    times = [t for t, head in probes if head.startswith("HTTP/1.1 200")]
    failed = len(probes) - len(times)
    return {
        "probes": len(probes),
        "median_ms": statistics.median(times) * 1000 if times else None,
        "worst_ms": max(t for t, _ in probes) * 1000 if probes else None,
        "failed": failed,
        "flood_answered": answered[0],
    }


def floods_that_do_not_read(pid, connections=10):
    before = status(pid, "RssAnon")
    request = b"GET /api/v1/activities?limit=200 HTTP/1.1\r\nHost: x\r\n\r\n" * 50
    held = []
    for _ in range(connections):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", PORT))
        s.setblocking(False)
        try:
            for _ in range(2000):
                s.send(request)
        except BlockingIOError:
            pass
        held.append(s)
    time.sleep(3)
    during = status(pid, "RssAnon")
    for s in held:
        s.close()
    return {"before_mb": before / 1024, "during_mb": during / 1024}


def run(binary, data):
    env = dict(os.environ, UPR_TC_BIND=f"127.0.0.1:{PORT}", UPR_TC_LOG="warn",
               UPR_TC_RATE_LIMITS="off",
               DATABASE_URL=f"sqlite://{data}/upr-tc.sqlite3",
               UPR_TC_JWT_SECRET="pipelining-benchmark-secret-of-32-bytes-or-more")
    server = subprocess.Popen([binary, "serve"], env=env, cwd=data,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if probe(1)[1].startswith("HTTP/1.1 200"):
                break
            time.sleep(0.1)
        # The first list read is kept: the floods measure connections, not the first read.
        with socket.create_connection(("127.0.0.1", PORT)) as s:
            s.sendall(b"GET /api/v1/activities?limit=200 HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
            while s.recv(1 << 16):
                pass
        reading = flood_that_reads(args.seconds)
        not_reading = floods_that_do_not_read(server.pid)
        return reading, not_reading
    finally:
        server.kill()
        server.wait()


def row(name, reading, not_reading):
    ms = lambda v: "—" if v is None else f"{v:,.0f}"
    return (f"| {name} | {reading['probes']} | {ms(reading['median_ms'])} | "
            f"{ms(reading['worst_ms'])} | {reading['failed']} | {reading['flood_answered']:,} | "
            f"{not_reading['before_mb']:.0f} → {not_reading['during_mb']:.0f} |")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--baseline")
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    seeded = tempfile.mkdtemp(prefix="upr-tc-pipelining-")
    subprocess.run([args.binary, "seed", "--scale", "small"], check=True, cwd=seeded,
                   env=dict(os.environ, DATABASE_URL=f"sqlite://{seeded}/upr-tc.sqlite3"),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("| build | probes | probe p50 ms | probe worst ms | probes not answered 200 "
          "| flood answered | RssAnon MB, 10 floods not reading |")
    print("|---|---|---|---|---|---|---|")
    for name, binary in [("baseline", args.baseline), ("measured", args.binary)]:
        if not binary:
            continue
        data = tempfile.mkdtemp(prefix="upr-tc-pipelining-run-")
        for f in os.listdir(seeded):
            shutil.copy(os.path.join(seeded, f), data)
        print(row(name, *run(binary, data)), flush=True)
        shutil.rmtree(data)
    shutil.rmtree(seeded)
