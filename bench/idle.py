#!/usr/bin/env python3
"""Connections that never send a byte, from one address, against a running service: how long
`GET /health/live` takes from another address meanwhile, and how many of the idle connections
the service answered 429 and closed (`UPR_TC_MAX_CONNECTIONS_PER_ADDRESS`), for
docs/benchmarks.md.

    upr-tc serve --bind 127.0.0.1:18090 &      # with `ulimit -n` above the connections
    python3 bench/idle.py --port 18090 --connections 4500

The idle connections come from 127.0.0.2 (the loopback too), the health checks from 127.0.0.1,
one connection each, ten of them 0.1 s apart.
"""
import argparse
import http.client
import resource
import socket
import statistics
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--connections", type=int, default=4500)
    ap.add_argument("--source", default="127.0.0.2")
    args = ap.parse_args()
    wanted = args.connections + 100
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    held = []
    started = time.perf_counter()
    for _ in range(args.connections):
        s = socket.socket()
        s.bind((args.source, 0))
        s.connect(("127.0.0.1", args.port))
        held.append(s)
    opened = time.perf_counter() - started
    took = []
    for _ in range(10):
        t = time.perf_counter()
        c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        c.request("GET", "/health/live")
        c.getresponse().read()
        c.close()
        took.append((time.perf_counter() - t) * 1000)
        time.sleep(0.1)
    refused = 0
    for s in held:
        s.settimeout(0.001)
        try:
            if s.recv(16).startswith(b"HTTP/1.1 429"):
                refused += 1
        except OSError:
            pass
    print(f"{args.connections} idle connections opened in {opened:.2f} s; /health/live "
          f"median {statistics.median(took):.1f} ms, max {max(took):.1f} ms; answered 429 "
          f"and closed: {refused}")


if __name__ == "__main__":
    main()
