#!/usr/bin/env python3
"""The cost of the publication rule: listing public activities with 50,000 activities and the
consent records of the 193 member States, side by side with the same query without the rule.

    cargo build --release --bin upr-tc
    python3 bench/activities.py [--count 50000] [--requests 300]

Loads synthetic data (seeded, so every run has the same): a stakeholder for each member State
and 300 organisations; one or more consent records of every member State (most grant all, some
refuse, some grant one submitter, a few record nothing); then the activities through the bulk
NDJSON upload. Each query is then timed over one keep-alive connection, anonymously (public
activities only: the rule applies) and as `admin` (every activity: no rule), alternating, and
p50 and p99 reported with their ratio. SQLite always; PostgreSQL too when BENCH_DATABASE_URL
names a server where databases may be created.
"""
import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
import uuid

WORDS = ("training judges prosecutors police prison monitoring legislation review national "
         "mechanism reporting follow-up workshop children women disability migrants data "
         "indicators awareness campaign peer exchange institution building ombudsman elections "
         "torture prevention detention health education water housing land indigenous").split()
THEMES = ["womens_rights", "rights_of_the_child", "torture_and_cid_treatment", "justice", "detention",
          "right_to_education", "right_to_health", "migrants", "trafficking", "nhri"]
MODALITIES = ["training", "legislative_advice", "institution_building", "data_and_indicators",
              "awareness_raising", "peer_exchange", "needs_assessment", "nmirf_support",
              "reporting_support", "other"]
STATUSES = ["pipeline", "implementation", "finalisation", "closed"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port):
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1):
                return
        except Exception:
            time.sleep(0.05)
    raise SystemExit("not ready")


class Client:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)

    def call(self, method, path, token=None, body=None, content_type="application/json"):
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        assert 200 <= r.status < 300, (method, path, r.status, data[:300])
        return data

    def all(self, path, token=None):
        items, cursor = [], None
        while True:
            sep = "&" if "?" in path else "?"
            url = f"{path}{sep}limit=200" + (f"&cursor={cursor}" if cursor else "")
            page = json.loads(self.call("GET", url, token))
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items


def load(client, binary, env, count):
    rnd = random.Random(5428)

    def token(*args):
        return subprocess.run([binary, "token", *args], env=env, check=True,
                              capture_output=True, text=True).stdout.strip()

    admin = token("--role", "admin")
    countries = json.loads(client.call("GET", "/api/v1/reference/countries"))["items"]
    states = sorted(c["alpha3"] for c in countries if c["status"] == "member_state")
    rows = ["kind,country,name__en"]
    rows += [f"state,{s},Government of {s}" for s in states]
    kinds = ["civil_society_organization", "un_entity", "nhri", "academia", "regional_organization"]
    rows += [f"{kinds[i % len(kinds)]},{rnd.choice(states)},Organisation {i}" for i in range(300)]
    client.call("POST", "/api/v1/bulk/stakeholders", admin, "\n".join(rows).encode(), "text/csv")
    stakeholders = client.all("/api/v1/stakeholders", admin)
    own = {s["country"]: s["id"] for s in stakeholders if s["kind"] == "state"}
    organisations = [s["id"] for s in stakeholders if s["kind"] != "state"]

    t0 = time.perf_counter()
    consents = 0
    for state in states:
        roll = rnd.random()
        if roll < 0.05:
            continue
        if roll < 0.75:
            body = {"decision": "granted", "scope": "all"}
        elif roll < 0.85:
            body = {"decision": "refused", "scope": "all"}
        elif roll < 0.92:
            body = {"decision": "granted", "scope": "submitter",
                    "stakeholder_id": rnd.choice(organisations)}
        else:
            body = {"decision": "granted", "scope": "all"}
            client.call("POST", "/api/v1/consents", token("--role", "state", "--state", state),
                        json.dumps(body).encode())
            consents += 1
            body = {"decision": "withdrawn", "scope": "all"}
        client.call("POST", "/api/v1/consents", token("--role", "state", "--state", state),
                    json.dumps(body).encode())
        consents += 1
    consent_time = time.perf_counter() - t0

    def activity(i):
        concerned = rnd.sample(states, rnd.choices([1, 2, 3], [70, 25, 5])[0])
        submitter = own[concerned[0]] if rnd.random() < 0.1 else rnd.choice(organisations)
        text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(6, 20)))
        return json.dumps({
            "title": {"en": f"{text} ({i})"},
            "summary": {"en": " ".join(rnd.choice(WORDS) for _ in range(30))},
            "states_concerned": concerned,
            "submitter": submitter,
            "modality": rnd.choice(MODALITIES),
            "status": rnd.choice(STATUSES),
            "themes": rnd.sample(THEMES, rnd.randint(1, 3)),
            "publication": "submitted" if rnd.random() < 0.9 else "draft",
        })

    body = "\n".join(activity(i) for i in range(count)).encode()
    t0 = time.perf_counter()
    report = json.loads(client.call("POST", "/api/v1/bulk/activities?mode=partial", admin, body,
                                    "application/x-ndjson"))
    import_time = time.perf_counter() - t0
    assert report["created"] == count, report
    return admin, consents, consent_time, import_time


QUERIES = [
    ("first page, no filter", "/api/v1/activities?limit=50"),
    ("State concerned", "/api/v1/activities?state=KEN&limit=50"),
    ("regional group", "/api/v1/activities?regional_group=african&limit=50"),
    ("theme (facet)", "/api/v1/activities?theme=detention&limit=50"),
    ("modality + status", "/api/v1/activities?modality=training&status=closed&limit=50"),
    ("full-text search, ranked", "/api/v1/activities?q=prison+monitoring&limit=50"),
    ("page 100 by cursor", None),
]


def timed(client, path, token, requests):
    for _ in range(10):
        client.call("GET", path, token)
    times = []
    for _ in range(requests):
        t = time.perf_counter()
        client.call("GET", path, token)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def measure(binary, env, count, requests):
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        client = Client(port)
        admin, consents, consent_time, import_time = load(client, binary, env, count)
        out = []
        for name, path in QUERIES:
            row = [name]
            for token in (None, admin):
                p = path
                if p is None:
                    p = "/api/v1/activities?limit=50"
                    for _ in range(99):
                        p = "/api/v1/activities?limit=50&cursor=" + \
                            json.loads(client.call("GET", p, token))["next_cursor"]
                row.append(timed(client, p, token, requests))
            out.append(row)
        return dict(consents=consents, consent_time=consent_time, import_time=import_time), out
    finally:
        proc.terminate()
        proc.wait()


@contextlib.contextmanager
def seeded(binary, scale, seed, prefix, **extra):
    """A SQLite database in a folder of its own, filled by `upr-tc seed --scale SCALE --seed
    SEED`: the environment that serves it (with `extra`); the folder is removed after."""
    folder = tempfile.mkdtemp(prefix=prefix)
    try:
        env = dict(os.environ, DATABASE_URL=f"sqlite://{folder}/upr-tc.sqlite3",
                   UPR_TC_LOG="warn", **extra)
        subprocess.run([binary, "seed", "--scale", scale, "--seed", str(seed)], env=env,
                       check=True, capture_output=True)
        yield env
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def default_binary():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target")),
                        "release", "upr-tc")


def seeded_arguments(description):
    """The arguments of a benchmark that serves a `seeded` database: the build, the scale
    and the seed; it adds its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--binary", default=default_binary())
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=1)
    return parser


@contextlib.contextmanager
def databases():
    """The service's environment on each engine: a new SQLite database, and a new PostgreSQL
    database when BENCH_DATABASE_URL names a server where databases may be created; removed
    afterwards. Yields [(engine, env)]."""
    work = tempfile.mkdtemp()
    env = dict(os.environ, UPR_TC_LOG="warn", UPR_TC_JWT_SECRET="b" * 64,
               UPR_TC_BULK_LIMIT=str(1 << 30), UPR_TC_RATE_LIMITS="off")
    runs = [("sqlite", dict(env, DATABASE_URL=f"sqlite://{work}/bench.sqlite3"))]
    base = os.environ.get("BENCH_DATABASE_URL")
    created = None
    if base:
        created = f"upr_tc_bench_{uuid.uuid4().hex[:12]}"
        subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {created}"], check=True,
                       capture_output=True)
        runs.append(("postgres", dict(env, DATABASE_URL=base.rpartition("/")[0] + "/" + created)))
    try:
        yield runs
    finally:
        if created:
            subprocess.run(["psql", base, "-qc", f"DROP DATABASE {created} WITH (FORCE)"],
                           capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=default_binary())
    ap.add_argument("--count", type=int, default=50000)
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    with databases() as runs:
        for db, e in runs:
            facts, out = measure(args.binary, e, args.count, args.requests)
            print(f"\n{db}: {args.count} activities imported in {facts['import_time']:.1f} s; "
                  f"{facts['consents']} consent records in {facts['consent_time']:.1f} s")
            print("| query | public p50 | public p99 | no rule p50 | no rule p99 | p50 ratio |")
            print("|---|---|---|---|---|---|")
            for name, (p50, p99), (a50, a99) in out:
                print(f"| {name} | {p50:.2f} ms | {p99:.2f} ms | {a50:.2f} ms | {a99:.2f} ms "
                      f"| {p50 / a50:.2f} |")


if __name__ == "__main__":
    main()
