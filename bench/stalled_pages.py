#!/usr/bin/env python3
"""What the service's memory holds while clients ask for feed pages of very large items and
never read them, for one or more builds on the same database, for docs/benchmarks.md.

    python3 bench/stalled_pages.py --binary BUILD [--binary OTHER] [--clients 30]
        [--offers 210] [--seconds 14] [--export]

A new SQLite database is filled through the first build's API with `--offers` open offers
near their largest (six languages of 20,000 characters for `capacity` and `description`,
some 400 kB each as JSON), so that `GET /api/v1/changes?types=offer&limit=1000` is a page of
some 80 MB. Each build then serves it in turn; `--clients` anonymous connections each ask for
such a page from a position of their own (so that no two share a page the service keeps) with
a receive buffer of 4 kB, and never read. The service's `RssAnon` is read from `/proc` every
0.5 s for `--seconds`; the table gives its peak and what it holds at the end, and how long
`/health/ready` took meanwhile. With `--export`, each client asks instead for the export
`/api/v1/offers?format=ndjson` with a `sync` token of its own (one export a caller at once).
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from activities import free_port, wait_ready  # noqa: E402
from load import token  # noqa: E402


def request(port, method, path, body=None, bearer=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    data = r.read()
    assert r.status in (200, 201), (r.status, data[:300])
    return json.loads(data)


def fill(port, admin, offers):
    """An organisation and `offers` open offers of some 400 kB each."""
    org = request(port, "POST", "/api/v1/stakeholders", {
        "kind": "civil_society_organization", "name": {"en": "Verbose NGO"}, "country": "KEN",
    }, admin)["id"]
    long = {lang: c * 20_000 for lang, c in
            [("en", "e"), ("fr", "é"), ("es", "ñ"), ("ru", "ж"), ("ar", "ع"), ("zh", "字")]}
    for n in range(offers):
        request(port, "POST", "/api/v1/offers", {
            "stakeholder": org, "themes": ["womens_rights"], "sdg_targets": ["5.1"],
            "modalities": ["legislative_advice"], "languages": ["fr", "en"],
            "regions": ["002"], "period": {"start": "2027-01-01", "end": "2027-12-31"},
            "capacity": long,
            "description": {k: f"{n:04} {v}"[:20_000] for k, v in long.items()},
        }, admin)


def positions(port, clients):
    """A cursor for each client: the feed's positions a few offers apart."""
    cursors, after = [], None
    while len(cursors) < clients:
        page = request(port, "GET", "/api/v1/changes?types=offer&limit=5"
                       + (f"&after={after}" if after else ""))
        after = page["next_cursor"]
        cursors.append(after)
    return cursors


def rss_anon(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) // 1024
    return 0


def stall(binary, env, cursors, seconds, export):
    """(peak MB, MB at the end, slowest /health/ready in s) while the clients never read."""
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sockets = []
    try:
        wait_ready(port)
        for n, after in enumerate(cursors):
            if export:
                bearer = token(binary, env, "--role", "sync", "--subject", f"bench-export-{n}")
                head = (f"GET /api/v1/offers?format=ndjson HTTP/1.1\r\n"
                        f"Authorization: Bearer {bearer}\r\n")
            else:
                head = f"GET /api/v1/changes?types=offer&limit=1000&after={after} HTTP/1.1\r\n"
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", port))
            s.sendall(f"{head}Host: 127.0.0.1\r\n\r\n".encode())
            sockets.append(s)
        peak, slowest, end = 0, 0.0, time.monotonic() + seconds
        while time.monotonic() < end:
            peak = max(peak, rss_anon(proc.pid))
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/health/ready")
            r = conn.getresponse()
            r.read()
            assert r.status == 200, r.status
            slowest = max(slowest, time.perf_counter() - t0)
            time.sleep(0.5)
        held = rss_anon(proc.pid)
        return max(peak, held), held, slowest
    finally:
        for s in sockets:
            s.close()
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", action="append", required=True)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--offers", type=int, default=210)
    parser.add_argument("--seconds", type=float, default=14)
    parser.add_argument("--export", action="store_true",
                        help="each client asks for an export of the offers instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DATABASE_URL=f"sqlite://{tmp}/stalled.sqlite3",
                   UPR_TC_RATE_LIMITS="off", UPR_TC_LOG="warn")
        port = free_port()
        first = subprocess.Popen([args.binary[0], "serve", "--bind", f"127.0.0.1:{port}"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(port)
            fill(port, token(args.binary[0], env, "--role", "admin", "--subject", "bench"),
                 args.offers)
            cursors = positions(port, args.clients)
        finally:
            first.terminate()
            first.wait()
        print("| build | `RssAnon` peak | `RssAnon` held at the end | slowest `/health/ready` |")
        print("|---|---|---|---|")
        for binary in args.binary:
            peak, held, slowest = stall(binary, env, cursors, args.seconds, args.export)
            print(f"| `{binary}` | {peak:,} MB | {held:,} MB | {slowest:.2f} s |", flush=True)


if __name__ == "__main__":
    main()
