#!/usr/bin/env python3
"""What a State's blanket consent decision costs against the number of activities concerning
it, on SQLite and PostgreSQL.

    cargo build --release --bin upr-tc
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        python3 bench/decision.py [--activities 1000] [--runs 3] [--engine sqlite|postgres|both]

Each run starts from a fresh database (a temporary SQLite file; for PostgreSQL a database of
its own, `bench_decision_…`, created on BENCH_DATABASE_URL's server and dropped afterwards),
filled with `upr-tc seed --scale small --seed 1`; the release binary then serves it and, over
HTTP, timed from the client (the request sent to the answer read whole):

1. one contributor (an organisation that is not the State's own, taken from the seeded data:
   a civil-society organisation with no activity concerning the State and no decision of the
   State about it) uploads N activities concerning the State (`--state`, ETH by default) in one
   NDJSON bulk upload (`POST /api/v1/bulk/activities?mode=partial`), submitted, not drafts:
   they await the State's consent;
2. the State (a `state` token) grants all (`POST /api/v1/consents`, scope `all`): the N
   activities become public;
3. the contributor checks the same rows again with another title and summary
   (`dry_run=true`: every row checked, nothing written), then uploads them (a bulk update of N
   activities, found again by their partner keys, `external_refs`); they stay public under the
   blanket grant;
4. the State withdraws all: the N activities are hidden again.

Every answer's status is checked (the script stops with the body when one is not what the
API promises), and so is what each step did: the report's counts, and the activities the
public sees (an anonymous list of the State's activities by the contributor, before the grant,
after it, after the update and after the withdrawal).

The seeded State may already grant all (a blanket grant in force would publish the upload at
once, and the grant would publish nothing): then the first member State, in the order of its
code, that has no blanket decision is taken instead, and the table says which.

The service runs with its default settings except `UPR_TC_RATE_LIMITS=off` and a large
`UPR_TC_BULK_LIMIT`, as bench/activities.py runs it. `--ports 19000-19099` keeps the service
on ports of that range (a free one is taken); the system picks one otherwise.

Prints a markdown table of the medians over `--runs` runs for each engine, with the ms per
activity of each step.
"""
import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

STEPS = [
    ("upload", "bulk upload of N new activities (contributor, submitted)"),
    ("grant", "blanket grant (`scope: all`) by the State"),
    ("dry_run", "dry run of the update upload (`dry_run=true`)"),
    ("update", "bulk update of the N activities (new title and summary)"),
    ("withdraw", "blanket withdrawal (`scope: all`) by the State"),
]
THEMES = ["justice", "detention", "womens_rights", "rights_of_the_child",
          "torture_and_cid_treatment"]
MODALITIES = ["training", "legislative_advice", "institution_building", "awareness_raising"]
REF_SOURCE = "bench-decision"


def default_binary():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target")),
                        "release", "upr-tc")


def free_port(ports):
    """A port nothing listens on: within `ports` (lo, hi) when given, else the system's pick."""
    candidates = range(ports[0], ports[1] + 1) if ports else [0]
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise SystemExit(f"no free port in {ports[0]}-{ports[1]}")


def fail(what, status, body):
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    raise SystemExit(f"{what}: HTTP {status}\n{text[:4000]}")


class Api:
    """Requests to the service, each on a connection of its own opened before the clock
    starts; the seconds are from sending the request to reading the whole answer."""

    def __init__(self, port):
        self.port = port

    def call(self, method, path, token=None, body=None, content_type="application/json",
             expect=200):
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = content_type
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3600)
        try:
            conn.connect()
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            seconds = time.perf_counter() - t0
        finally:
            conn.close()
        if r.status != expect:
            fail(f"{method} {path} (expected {expect})", r.status, data)
        try:
            answer = json.loads(data) if data else None
        except ValueError:
            fail(f"{method} {path}: not JSON", r.status, data)
        return answer, seconds

    def get(self, path, token=None):
        return self.call("GET", path, token)[0]

    def count(self, path, token=None):
        """How many items a list holds, every page read (200 a page)."""
        n, cursor = 0, None
        sep = "&" if "?" in path else "?"
        while True:
            page = self.get(f"{path}{sep}limit=200" + (f"&cursor={cursor}" if cursor else ""),
                            token)
            n += len(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return n


def token(binary, env, *args):
    run = subprocess.run([binary, "token", *args], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"upr-tc token {' '.join(args)} failed: {run.stderr}")
    return run.stdout.strip()


def wait_ready(port, proc, log):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"upr-tc serve exited with {proc.returncode}:\n{tail(log)}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/ready")
            r = conn.getresponse()
            r.read()
            conn.close()
            if r.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"upr-tc serve not ready within 2 minutes:\n{tail(log)}")


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def pg_url(base, name):
    return f"{base.rpartition('/')[0]}/{name}"


@contextlib.contextmanager
def fresh_database(engine, base_env):
    """The service's environment on a new, empty database of `engine`; removed afterwards.
    Yields (env, work directory)."""
    work = tempfile.mkdtemp(prefix="bench-decision-")
    created = None
    base = os.environ.get("BENCH_DATABASE_URL")
    try:
        if engine == "sqlite":
            env = dict(base_env, DATABASE_URL=f"sqlite://{work}/bench.sqlite3")
        else:
            created = f"bench_decision_{uuid.uuid4().hex[:12]}"
            run = subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {created}"],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                created = None
                raise SystemExit(f"CREATE DATABASE failed on {base}: {run.stderr}")
            env = dict(base_env, DATABASE_URL=pg_url(base, created))
        yield env, work
    finally:
        if created:
            subprocess.run(["psql", base, "-qc", f"DROP DATABASE {created} WITH (FORCE)"],
                           capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def activities_ndjson(n, state, run_label, version):
    """N activities concerning `state`, submitted; `version` changes every title and summary
    (the partner key stays, so that an upload of version 2 updates the items of version 1)."""
    rows = []
    for i in range(n):
        word = "Initial" if version == 1 else f"Revised ({version})"
        rows.append(json.dumps({
            "title": {"en": f"{word} training of judges and prosecutors on the UPR "
                            f"recommendations, cohort {i} ({run_label})"},
            "summary": {"en": f"{word} summary: a workshop series with the national mechanism "
                              f"for implementation, reporting and follow-up, cohort {i}."},
            "states_concerned": [state],
            "modality": MODALITIES[i % len(MODALITIES)],
            "status": "implementation",
            "themes": [THEMES[i % len(THEMES)]],
            "publication": "submitted",
            "external_refs": [{"source": REF_SOURCE, "external_id": f"{state}-{i}"}],
        }))
    return ("\n".join(rows) + "\n").encode()


def pick_state(api, admin, wanted):
    """`wanted` unless a blanket grant of it is in force (then nothing would await it); else
    the first member State, by code, that has no blanket decision."""
    mine = api.get(f"/api/v1/states/{wanted}/consent", admin)
    if not (mine["all"] and mine["all"]["decision"] == "granted"):
        return wanted, mine
    countries = api.get("/api/v1/reference/countries?status=member_state")["items"]
    for code in sorted(c["alpha3"] for c in countries):
        theirs = api.get(f"/api/v1/states/{code}/consent", admin)
        if theirs["all"] is None:
            print(f"  {wanted} grants all in the seeded data: {code} is measured instead",
                  file=sys.stderr)
            return code, theirs
    raise SystemExit("every member State has a blanket decision in the seeded data")


def pick_contributor(api, admin, state, consent):
    """A civil-society organisation with no activity concerning `state` and no decision of
    `state` about it (a grant for it would publish the upload at once, a refusal would keep it
    hidden under the blanket grant)."""
    decided = {c.get("stakeholder_id") for c in consent["submitters"]}
    page = api.get("/api/v1/stakeholders?kind=civil_society_organization&limit=200")
    for s in page["items"]:
        if s["id"] in decided:
            continue
        q = urllib.parse.urlencode({"state": state, "stakeholder": s["id"], "limit": 1})
        if not api.get(f"/api/v1/activities?{q}", admin)["items"]:
            return s
    raise SystemExit(f"no civil-society organisation without activities concerning {state}")


def check_report(what, report, n, **expected):
    for key, value in expected.items():
        if report.get(key) != value:
            raise SystemExit(f"{what}: `{key}` is {report.get(key)!r}, not {value!r} "
                             f"(N = {n}):\n{json.dumps(report, indent=1)[:4000]}")


def one_run(args, engine, env, work, run):
    n = args.activities
    seed = subprocess.run([args.binary, "seed", "--scale", args.scale, "--seed", str(args.seed)],
                          env=env, capture_output=True, text=True)
    if seed.returncode != 0:
        raise SystemExit(f"upr-tc seed failed on {engine}: {seed.stderr}")
    if engine == "postgres":
        # As autovacuum would after a load, before anyone reads.
        subprocess.run(["psql", env["DATABASE_URL"], "-qc", "VACUUM ANALYZE"], check=True,
                       capture_output=True)
    port = free_port(args.ports)
    log = os.path.join(work, "serve.log")
    with open(log, "w") as out:
        proc = subprocess.Popen([args.binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                                stdout=subprocess.DEVNULL, stderr=out)
    try:
        wait_ready(port, proc, log)
        api = Api(port)
        admin = token(args.binary, env, "--role", "admin", "--subject", "bench-decision-admin")
        code, consent = pick_state(api, admin, args.state)
        org = pick_contributor(api, admin, code, consent)
        contributor = token(args.binary, env, "--role", "contributor", "--stakeholder",
                            org["id"], "--subject", "bench-decision-contributor")
        state = token(args.binary, env, "--role", "state", "--state", code,
                      "--subject", f"bench-decision-{code.lower()}")
        mine = "/api/v1/activities?" + urllib.parse.urlencode(
            {"state": code, "stakeholder": org["id"]})
        awaiting = "/api/v1/activities?" + urllib.parse.urlencode(
            {"awaiting_consent_of": code, "stakeholder": org["id"]})

        def public(expected, when):
            seen = api.count(mine)
            if seen != expected:
                raise SystemExit(f"{engine}, {when}: the public sees {seen} of the "
                                 f"contributor's activities concerning {code}, not {expected}")

        times = {}
        label = f"run {run}"
        bulk = "/api/v1/bulk/activities?mode=partial"
        ndjson = "application/x-ndjson"

        # 1. The upload that makes N: each awaits the State's consent.
        report, times["upload"] = api.call("POST", bulk, contributor,
                                           activities_ndjson(n, code, label, 1), ndjson)
        check_report("upload", report, n, received=n, created=n, updated=0, rejected=0,
                     written=True)
        public(0, "after the upload")
        queue = api.count(awaiting, state)
        if queue != n:
            raise SystemExit(f"{engine}: {queue} of the N activities await {code}'s consent, "
                             f"not {n}")
        before = api.get(f"/api/v1/states/{code}/consent", state)["counts"]

        # 2. The blanket grant publishes them.
        record, times["grant"] = api.call(
            "POST", "/api/v1/consents", state,
            json.dumps({"decision": "granted", "scope": "all"}).encode(), expect=201)
        if record["decision"] != "granted" or record["scope"] != "all" or record["state"] != code:
            fail("the grant's record", 201, json.dumps(record))
        public(n, "after the grant")
        after = api.get(f"/api/v1/states/{code}/consent", state)["counts"]

        # 3. The same rows with another title and summary: checked, then written.
        update = activities_ndjson(n, code, label, 2)
        report, times["dry_run"] = api.call("POST", bulk + "&dry_run=true", contributor,
                                            update, ndjson)
        check_report("dry run of the update", report, n, received=n, created=0, updated=n,
                     rejected=0, dry_run=True, written=False)
        report, times["update"] = api.call("POST", bulk, contributor, update, ndjson)
        check_report("update", report, n, received=n, created=0, updated=n, rejected=0,
                     written=True)
        public(n, "after the update")
        first = api.get(mine + "&limit=1")["items"]
        if not first or not first[0]["title"]["en"].startswith("Revised"):
            raise SystemExit(f"{engine}: the public does not see the updated title: {first}")

        # 4. The blanket withdrawal hides them again.
        record, times["withdraw"] = api.call(
            "POST", "/api/v1/consents", state,
            json.dumps({"decision": "withdrawn", "scope": "all"}).encode(), expect=201)
        if record["decision"] != "withdrawn":
            fail("the withdrawal's record", 201, json.dumps(record))
        public(0, "after the withdrawal")
        withdrawn = api.get(f"/api/v1/states/{code}/consent", state)["counts"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    facts = {
        "state": code,
        "contributor": org["id"],
        "contributor_name": (org.get("name") or {}).get("en", ""),
        # Submitted activities concerning the State, the upload's included.
        "concerning": before["public"] + before["awaiting"] + before["refused"],
        "before": before,
        "after_grant": after,
        "after_withdrawal": withdrawn,
    }
    return times, facts


def table(results, args):
    n = args.activities
    engines = list(results)
    lines = []
    head = "| step |" + "".join(f" {e} | {e} ms/activity |" for e in engines)
    lines.append(head)
    lines.append("|---" * (1 + 2 * len(engines)) + "|")
    for key, name in STEPS:
        row = f"| {name} |"
        for e in engines:
            ms = statistics.median(t[key] for t, _ in results[e]) * 1000
            row += f" {ms:,.0f} ms | {ms / n:.3f} |"
        lines.append(row)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=default_binary())
    ap.add_argument("--runs", type=int, default=3, help="runs per engine, each on a new database")
    ap.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--activities", type=int, default=1000, metavar="N",
                    help="activities the contributor uploads for the State")
    ap.add_argument("--state", default="ETH", help="the State deciding (alpha-3)")
    ap.add_argument("--scale", choices=["small", "un"], default="small")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ports", metavar="LO-HI", help="serve on a free port of this range")
    args = ap.parse_args()
    if args.ports:
        lo, _, hi = args.ports.partition("-")
        args.ports = (int(lo), int(hi or lo))
    if not os.access(args.binary, os.X_OK):
        raise SystemExit(f"no binary at {args.binary} (cargo build --release --bin upr-tc, "
                         "or --binary)")
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    if "postgres" in engines and not os.environ.get("BENCH_DATABASE_URL"):
        if args.engine == "both":
            print("BENCH_DATABASE_URL is not set: SQLite only", file=sys.stderr)
            engines.remove("postgres")
        else:
            raise SystemExit("--engine postgres needs BENCH_DATABASE_URL (a server where "
                             "databases may be created)")
    # Stopped from outside, it still removes its databases (the `finally` of fresh_database).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"stopped by signal {signal.SIGTERM}"))
    base_env = dict(os.environ, UPR_TC_LOG="warn", UPR_TC_JWT_SECRET="b" * 64,
                    UPR_TC_BULK_LIMIT=str(1 << 30), UPR_TC_RATE_LIMITS="off")
    results = {}
    for engine in engines:
        results[engine] = []
        for run in range(1, args.runs + 1):
            with fresh_database(engine, base_env) as (env, work):
                times, facts = one_run(args, engine, env, work, run)
            results[engine].append((times, facts))
            print(f"{engine} run {run}: " + ", ".join(f"{k} {v * 1000:,.0f} ms"
                                                      for k, v in times.items()),
                  file=sys.stderr)
    n = args.activities
    print(f"N = {n:,} activities, median of {args.runs} run(s) on a database seeded with "
          f"`upr-tc seed --scale {args.scale} --seed {args.seed}`; times from request sent to "
          f"answer read, each on a connection opened before the clock starts.")
    print()
    for engine, runs in results.items():
        f = runs[0][1]
        print(f"- {engine}: State {f['state']}, contributor {f['contributor_name']} "
              f"({f['contributor']}); {f['concerning']:,} submitted activities concern the "
              f"State with the upload (public / awaiting / refused before the grant: "
              f"{f['before']['public']:,} / {f['before']['awaiting']:,} / "
              f"{f['before']['refused']:,}; after it: {f['after_grant']['public']:,} / "
              f"{f['after_grant']['awaiting']:,} / {f['after_grant']['refused']:,}; after the "
              f"withdrawal: {f['after_withdrawal']['public']:,} / "
              f"{f['after_withdrawal']['awaiting']:,} / {f['after_withdrawal']['refused']:,})")
    print()
    print(table(results, args))


if __name__ == "__main__":
    main()
