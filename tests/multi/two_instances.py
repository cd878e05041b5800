#!/usr/bin/env python3
"""Two `serve` processes on one PostgreSQL database behave as one service (docs/domain.md §7, issue 13).

    python3 tests/multi/two_instances.py --binary target/debug/upr-tc \
        --database postgres://postgres@127.0.0.1:5432/postgres

Starts both instances at once on a fresh database (they race to apply the migrations), then:

- writers on both instances create recommendations side by side while a partner follows the
  public change feed, each page from one instance or the other, resuming from the cursor the
  other gave: the partner's copy ends equal to the public list, each change seen once;
- what one instance keeps of what it read (a recommendation by id, a list's page) is read
  again within a second of a write through the other;
- a POST with an `Idempotency-Key` answered by one instance is replayed by the other (same
  status and item, `Idempotent-Replayed: true`), and the same key with another body is refused
  there (422).

CI runs it after the test suite (`.ci/run`). It needs nothing but the standard library.
"""
import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

WRITERS_PER_INSTANCE = 2
ITEMS_PER_WRITER = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base, method, path, token=None, body=None, headers=None):
    """(status, headers, parsed JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, dict(r.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, dict(e.headers), json.loads(raw) if raw else None


def recommendation(text):
    return {
        "state_under_review": "KEN",
        "recommending_states": ["AUT"],
        "session": 35,
        "text": {"en": text},
        "response": "supported",
        "themes": ["womens_rights"],
    }


def database_url(server, name):
    parts = urllib.parse.urlsplit(server)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def psql(server, sql):
    subprocess.run(["psql", server, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True,
                   capture_output=True)


def wait_ready(base, process, log):
    for _ in range(120):
        if process.poll() is not None:
            break
        try:
            if request(base, "GET", "/health/ready")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    log.seek(0)
    sys.exit(f"{base} did not become ready:\n{log.read().decode(errors='replace')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--database", required=True, help="a PostgreSQL server URL where "
                        "databases may be created")
    args = parser.parse_args()

    name = f"upr_tc_multi_{uuid.uuid4().hex[:12]}"
    psql(args.database, f"CREATE DATABASE {name}")
    processes = []
    try:
        env = dict(os.environ,
                   DATABASE_URL=database_url(args.database, name),
                   UPR_TC_JWT_SECRET=secrets.token_hex(32),
                   UPR_TC_RATE_LIMITS="off",
                   UPR_TC_LOG_FORMAT="json")
        env.pop("MALLOC_ARENA_MAX", None)
        bases = []
        # The first instance bounds glibc's arenas itself, to one a core it may run on (its
        # CPU quota may allow fewer than the CPUs it sees); the second keeps the operator's own.
        cores = len(os.sched_getaffinity(0))
        for k in range(2):
            port = free_port()
            log = tempfile.TemporaryFile()
            own = env if k == 0 else dict(env, MALLOC_ARENA_MAX="3")
            p = subprocess.Popen([args.binary, "serve", "--bind", f"127.0.0.1:{port}"], env=own,
                                 stdout=log, stderr=subprocess.STDOUT)
            processes.append((p, log))
            bases.append(f"http://127.0.0.1:{port}")
        for base, (p, log) in zip(bases, processes):
            wait_ready(base, p, log)
        bounds = []
        for p, _ in processes:
            with open(f"/proc/{p.pid}/environ", "rb") as f:
                given = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
            bounds.append(given.get(b"MALLOC_ARENA_MAX", b"").decode())
        assert bounds[0].isdigit() and 1 <= int(bounds[0]) <= cores, bounds
        assert bounds[1] == "3", bounds
        print(f"glibc's arenas bounded: {bounds[0]} (one a core), {bounds[1]} (the operator's)")
        print(f"two instances on one database: {bases[0]}, {bases[1]}")
        token = subprocess.run([args.binary, "token", "--role", "admin", "--subject", "multi"],
                               env=env, check=True, capture_output=True,
                               text=True).stdout.strip()

        # Writers on both instances, and a partner following the feed from either.
        failures = []

        def write(base, n):
            for i in range(ITEMS_PER_WRITER):
                status, _, body = request(base, "POST", "/api/v1/recommendations", token,
                                          recommendation(f"Item {n}-{i} written through {base}"),
                                          {"Idempotency-Key": str(uuid.uuid4())})
                if status != 201:
                    failures.append(f"{base}: {status} {body}")

        writers = [threading.Thread(target=write, args=(base, f"{k}{w}"))
                   for k, base in enumerate(bases) for w in range(WRITERS_PER_INSTANCE)]
        copy, seen, cursor, turn = {}, set(), None, 0

        def follow_once():
            nonlocal cursor, turn
            base = bases[turn % 2]
            turn += 1
            path = "/api/v1/changes?limit=50" + (f"&after={cursor}" if cursor else "")
            status, _, page = request(base, "GET", path)
            assert status == 200, (base, status, page)
            for change in page["items"]:
                assert change["cursor"] not in seen, f"change {change['cursor']} seen twice"
                seen.add(change["cursor"])
                key = (change["type"], change["id"])
                if change["op"] == "upsert":
                    copy[key] = change["data"]
                else:
                    copy.pop(key, None)
            cursor = page["next_cursor"]
            return page["has_more"]

        for w in writers:
            w.start()
        while any(w.is_alive() for w in writers):
            follow_once()
        for w in writers:
            w.join()
        while follow_once():
            pass
        assert not failures, failures[:5]

        listed, after = {}, None
        while True:
            path = "/api/v1/recommendations?limit=200" + (f"&cursor={after}" if after else "")
            status, _, page = request(bases[1], "GET", path)
            assert status == 200, (status, page)
            for item in page["items"]:
                listed[("recommendation", item["id"])] = item
            after = page.get("next_cursor")
            if not after:
                break
        written = len(bases) * WRITERS_PER_INSTANCE * ITEMS_PER_WRITER
        assert len(listed) == written, (len(listed), written)
        assert copy == listed, "the partner's copy differs from the public list"
        print(f"feed: {written} items written through both instances, {turn} pages read "
              f"alternately, the copy equals the list")

        # What one instance keeps of what it read (app::kept) is stale once the other writes:
        # it is read again within the watch's poll (db::watch), never later than a second.
        some = next(iter(listed.values()))
        path = f"/api/v1/recommendations/{some['id']}"
        page = "/api/v1/recommendations?state_under_review=KEN&limit=5"
        for _ in range(3):  # asked again: kept
            assert request(bases[1], "GET", path)[0] == 200
            assert request(bases[1], "GET", page)[0] == 200
        changed = dict(recommendation("Changed through the first instance"))
        status, headers, _ = request(bases[0], "PUT", path, token, changed)
        assert status == 200, status
        version = {k.lower(): v for k, v in headers.items()}["etag"]
        written = time.monotonic()
        seen_by_id = seen_in_list = None
        while seen_by_id is None or seen_in_list is None:
            waited = time.monotonic() - written
            assert waited < 1.0, f"the second instance still gives what it kept after {waited:.2f} s"
            status, headers, item = request(bases[1], "GET", path)
            if seen_by_id is None and {k.lower(): v for k, v in headers.items()}["etag"] == version:
                assert item["text"]["en"] == "Changed through the first instance", item
                seen_by_id = waited
            status, _, listing = request(bases[1], "GET", page)
            if seen_in_list is None and any(i["text"].get("en") == "Changed through the first "
                                             "instance" for i in listing["items"]):
                seen_in_list = waited
        print(f"kept reads: a write on one instance is read on the other after "
              f"{seen_by_id * 1000:.0f} ms (by id), {seen_in_list * 1000:.0f} ms (a list)")

        # An Idempotency-Key answered by one instance is replayed by the other.
        key = str(uuid.uuid4())
        body = recommendation("Written once, asked twice")
        first = request(bases[0], "POST", "/api/v1/recommendations", token, body,
                         {"Idempotency-Key": key})
        again = request(bases[1], "POST", "/api/v1/recommendations", token, body,
                        {"Idempotency-Key": key})
        assert first[0] == 201, first
        assert again[0] == 201 and again[2]["id"] == first[2]["id"], (first, again)
        replayed = {k.lower(): v for k, v in again[1].items()}.get("idempotent-replayed")
        assert replayed == "true", again[1]
        other = request(bases[1], "POST", "/api/v1/recommendations", token,
                        recommendation("Another body"), {"Idempotency-Key": key})
        assert other[0] == 422, other
        print("idempotency: a key answered by one instance is replayed by the other")
    finally:
        for p, _ in processes:
            p.terminate()
        for p, _ in processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        psql(args.database, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
