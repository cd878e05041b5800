#!/usr/bin/env python3
"""The service under concurrent load at UN scale (issue 13), on SQLite and PostgreSQL.

    cargo build --release --bin upr-tc
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        python3 bench/load.py [--scale un|small] [--seed 1] [--duration 10] [--out FILE]

For each engine (SQLite always; PostgreSQL too when BENCH_DATABASE_URL names a server where
databases may be created, as bench/activities.py makes them): a fresh database is filled with
`upr-tc seed --scale SCALE --seed SEED` (timed), the release binary serves it, and each scenario
runs with `wrk -t2 -c32 -dDURATION` (Debian's `wrk`) against the same server, one after the
other, with a Lua script that varies ids and States from request to request:

- `/health/live` first: the ceiling each other scenario is compared with (its ratio);
- one recommendation by id; the recommendations of a State, 50 a page; a filtered list
  (theme and response); ranked search (`q=torture`, `q=children`); the public activities
  concerning a State, 50 a page; one stakeholder, public activity and offer by id; a CSV
  export of a State's recommendations; the matches of an open assistance request; the annual
  report of three years (each year's first request timed alone first: it computes the report,
  which is then kept, and every request meanwhile is a 503);
- readers of recommendations by id while one writer uploads recommendations in bulk (1,000 a
  request, back to back): the readers' figures, and the writer's items/s;
- the change feed caught up by one client, pages of 1,000, from the start to the head
  (changes/s; not with wrk: one client following `next_cursor`).

Each row gives the 2xx answers a second, the other answers (a 503 or 429 from the service's
limits on searches and exports at once), p50 and p99 latency of all answers as wrk measures
them, and the ratio of the 2xx rate to `/health/live`'s. At the end, the service's peak
resident memory over the whole run (`VmHWM` of `/proc/PID/status`), and the peak of its own
memory (`RssAnon`, read every 100 ms; each row also gives its peak during that scenario): the
difference is file pages, on SQLite the database file the connections read through a memory
map, which is the kernel's page cache.

With `--baseline OLDER_BINARY`, the older build serves the same seeded database first and
runs every scenario; then the binary measured does, and each row also gives the baseline's
2xx/s and the ratio of the two, measured side by side in one run.

Before each scenario the script waits until the service has finished what the last one left
running (slow requests wrk gave up on), so that one scenario's tail is not the next one's.

The service runs with its default settings except `UPR_TC_RATE_LIMITS=off` (every request
comes from one address, which the per-caller limits would stop at 600 a minute) and a large
`UPR_TC_BULK_LIMIT`; `--env KEY=VALUE` adds others (e.g. `UPR_TC_SEARCH_LIMIT=8`). Exports
are asked with a `sync` token of its own per request (64 tokens minted with `upr-tc token`,
in turn), so the one-export-per-caller rule does not turn them into 429s.
"""
import argparse
import http.client
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from activities import databases, default_binary, free_port, wait_ready  # noqa: E402
from sync import memory_kb  # noqa: E402


def token(binary, env, *args):
    return subprocess.run([binary, "token", *args], env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def first_answer(port, path):
    """Seconds `path` takes to answer 200, asked alone; a 503 (a request an earlier scenario
    left running still holds the permit it needs) is asked again, for up to a minute."""
    deadline = time.monotonic() + 60
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        t0 = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        if r.status == 200:
            return time.perf_counter() - t0
        assert r.status == 503 and time.monotonic() < deadline, (path, r.status, body[:300])
        time.sleep(0.5)


def get_json(port, path, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200, (path, r.status, body[:300])
    return json.loads(body)


def lua_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def script(paths, headers=None, tokens=None):
    """A wrk script asking for `paths` in turn (each thread from another place in the list),
    with `headers`, and a bearer token from `tokens` in turn when given."""
    lines = ["local paths = {" + ",".join(lua_string(p) for p in paths) + "}"]
    lines.append("local tokens = {" + ",".join(lua_string(t) for t in tokens or []) + "}")
    lines.append("local base = {" + ",".join(f"[{lua_string(k)}]={lua_string(v)}"
                                              for k, v in (headers or {}).items()) + "}")
    lines.append("""
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end
local i = 0
statuses = {}
function init(args)
  i = offset or 0
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("STATUS %d %d\\n", status, n))
  end
end
function request()
  i = i + 1
  local h = {}
  for k, v in pairs(base) do h[k] = v end
  if #tokens > 0 then
    h["Authorization"] = "Bearer " .. tokens[(i % #tokens) + 1]
  end
  return wrk.format("GET", paths[(i % #paths) + 1], h)
end
""")
    return "\n".join(lines)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def millis(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * UNITS[m.group(2)]


def wrk(port, paths, args, headers=None, tokens=None):
    """Runs wrk with a script over `paths`; returns its figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script(paths, headers, tokens))
        name = f.name
    try:
        run = subprocess.run(
            ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
             "--timeout", "30s", "--latency", "-s", name, f"http://127.0.0.1:{port}"],
            check=True, capture_output=True, text=True)
        # wrk runs on with its default request when its script does not load.
        if run.stderr.strip():
            raise SystemExit(f"wrk: {run.stderr}")
        out = run.stdout
    finally:
        os.unlink(name)
    total, seconds = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out).group(1, 2)
    unit = re.search(r"\d+ requests in [\d.]+(\w+),", out).group(1)
    seconds = float(seconds) * {"s": 1, "ms": 0.001, "m": 60}[unit]
    other = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    other = int(other.group(1)) if other else 0
    total = int(total)
    statuses = {int(code): int(n) for code, n in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)}
    return {
        "statuses": statuses,
        "requests": total,
        "ok_per_s": (total - other) / seconds,
        "other": other,
        "p50": millis(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": millis(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def settle(port):
    """Waits until the service has finished what the last scenario left running (requests
    wrk gave up on still hold the database): until `/health/ready`, which reads the
    database, answers within 20 ms."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        t = time.perf_counter()
        conn.request("GET", "/health/ready")
        r = conn.getresponse()
        r.read()
        if r.status == 200 and time.perf_counter() - t < 0.02:
            return
        time.sleep(0.5)


def database_size(env):
    url = env["DATABASE_URL"]
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):]
        return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    return int(subprocess.run(["psql", url, "-Atc", "SELECT pg_database_size(current_database())"],
                              check=True, capture_output=True, text=True).stdout)


def catch_up(port, token, limit=1000):
    """One client follows the public feed from its start to its head; returns (changes,
    seconds). Items are counted without parsing the page (a parser in Python would be slower
    than the service)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Authorization": f"Bearer {token}"}
    after, changes = None, 0
    t0 = time.perf_counter()
    while True:
        path = f"/api/v1/changes?limit={limit}" + (f"&after={after}" if after else "")
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        assert r.status == 200, (r.status, body[:300])
        changes += body.count(b'"cursor":"')
        tail = body[body.rindex(b'"next_cursor":'):]
        after = re.search(rb'"next_cursor":"([A-Za-z0-9_-]+)"', tail).group(1).decode()
        if b'"has_more":true' not in tail:
            break
    return changes, time.perf_counter() - t0


class AnonPeak(threading.Thread):
    """The peak of a process's own memory (`RssAnon`), read every 100 ms until stopped: over
    the whole run, and since the last `lap`."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.lap_kb = pid, 0, 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.1):
            try:
                now = memory_kb(self.pid, "RssAnon")
            except OSError:
                return
            self.peak_kb = max(self.peak_kb, now)
            self.lap_kb = max(self.lap_kb, now)

    def lap(self):
        """The peak since the last lap (or the start), in MB; the next lap starts now."""
        peak, self.lap_kb = self.lap_kb, memory_kb(self.pid, "RssAnon")
        return max(peak, self.lap_kb) / 1024


class Uploader(threading.Thread):
    """Uploads new recommendations in bulk, `batch` a request, back to back, until stopped."""

    def __init__(self, port, token, states, run, batch=1000):
        super().__init__(daemon=True)
        self.port, self.token, self.states, self.batch = port, token, states, batch
        # Texts of this run alone: another run's would be folded into the stored ones.
        self.label = run
        self.stop = threading.Event()
        self.items = 0
        self.seconds = []

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        n = 0
        while not self.stop.is_set():
            rows = []
            for _ in range(self.batch):
                n += 1
                rows.append(json.dumps({
                    "state_under_review": self.states[n % len(self.states)],
                    "session": 54,
                    "text": {"en": f"Strengthen the protection of human rights defenders and "
                                   f"journalists, as uploaded in bulk (run {self.label}, {n})."},
                    "response": "supported",
                    "themes": ["human_rights_defenders"],
                }))
            body = "\n".join(rows).encode()
            t = time.perf_counter()
            conn.request("POST", "/api/v1/bulk/recommendations?mode=partial", body=body,
                         headers={"Authorization": f"Bearer {self.token}",
                                  "Content-Type": "application/x-ndjson"})
            r = conn.getresponse()
            answer = r.read()
            assert r.status == 200, (r.status, answer[:300])
            self.items += json.loads(answer)["created"]
            self.seconds.append(time.perf_counter() - t)


def measure(args, engine, env):
    result = {"engine": engine}
    seed = subprocess.run([args.binary, "seed", "--scale", args.scale, "--seed", str(args.seed)],
                          env=env, capture_output=True, text=True)
    if seed.returncode != 0:
        raise SystemExit(f"upr-tc seed failed on {engine}: {seed.stderr}")
    result["seed"] = json.loads(seed.stdout)
    result["size"] = database_size(env)
    if engine == "postgres":
        # As autovacuum would after a load, before anyone reads.
        subprocess.run(["psql", env["DATABASE_URL"], "-qc", "VACUUM ANALYZE"], check=True,
                       capture_output=True)
    if args.baseline:
        # The earlier binary first, on the data as seeded; its bulk writer's rows are there
        # when the binary measured serves.
        result["baseline"] = serve(args, args.baseline, engine, env, run=0)
    result.update(serve(args, args.binary, engine, env, run=1))
    return result


def serve(args, binary, engine, env, run):
    """Serves the database of `env` with `binary` and runs every scenario against it."""
    result = {"binary": binary, "rows": []}
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    anon = AnonPeak(proc.pid)
    anon.start()
    try:
        wait_ready(port)
        admin = token(binary, env, "--role", "admin", "--subject", "bench-admin")
        sync = token(binary, env, "--role", "sync", "--subject", "bench-feed")
        exporters = [token(binary, env, "--role", "sync", "--subject", f"bench-export-{i}")
                     for i in range(64)]

        # What the scenarios ask for: ids and States taken from the service itself.
        states = [c["alpha3"] for c in
                  get_json(port, "/api/v1/reference/countries?status=member_state")["items"]]
        rec_ids, stakeholder_ids, activity_ids, lists, active = [], [], [], [], []
        for s in states:
            page = get_json(port, f"/api/v1/recommendations?state_under_review={s}&limit=10")
            rec_ids += [r["id"] for r in page["items"]]
            public = get_json(port, f"/api/v1/activities?state={s}&limit=5")["items"]
            if public:
                active.append(s)
                activity_ids += [a["id"] for a in public]
        page = get_json(port, "/api/v1/stakeholders?limit=200")
        while len(stakeholder_ids) < 1000:
            stakeholder_ids += [s["id"] for s in page["items"]]
            if not page["next_cursor"]:
                break
            page = get_json(port, f"/api/v1/stakeholders?limit=200&cursor={page['next_cursor']}")
        themes = [t["code"] for v in get_json(port, "/api/v1/reference/themes")["items"]
                  for t in v["themes"]]
        requests = [r["id"] for r in
                    get_json(port, "/api/v1/assistance-requests?status=open&limit=200")["items"]]
        offer_ids = [o["id"] for o in get_json(port, "/api/v1/offers?limit=200")["items"]]
        year = 2026
        q = urllib.parse.quote
        scenarios = [
            ("`/health/live`", ["/health/live"], {}),
            ("one recommendation by id", [f"/api/v1/recommendations/{i}" for i in rec_ids], {}),
            ("recommendations of a State, 50 a page",
             [f"/api/v1/recommendations?state_under_review={s}&limit=50" for s in states], {}),
            ("filtered list: theme + response",
             [f"/api/v1/recommendations?theme={t}&response={r}&limit=50" for t in themes
              for r in ("supported", "noted")], {}),
            ("ranked search `q=torture`",
             [f"/api/v1/recommendations?q=torture&limit=50"], {}),
            ("ranked search `q=children`",
             [f"/api/v1/recommendations?q=children&limit=50"], {}),
            ("public activities of a State, 50 a page",
             [f"/api/v1/activities?state={s}&limit=50" for s in active], {}),
            ("one stakeholder by id", [f"/api/v1/stakeholders/{i}" for i in stakeholder_ids], {}),
            ("one public activity by id", [f"/api/v1/activities/{i}" for i in activity_ids], {}),
            ("one offer by id", [f"/api/v1/offers/{i}" for i in offer_ids], {}),
            ("CSV export of a State's recommendations",
             [f"/api/v1/recommendations?state_under_review={s}" for s in states],
             {"headers": {"Accept": "text/csv"}, "tokens": exporters}),
            ("matches of an assistance request",
             [f"/api/v1/assistance-requests/{i}/matches?limit=10" for i in requests], {}),
            # Each year's report is computed by its first request (every other one meanwhile
            # a 503) and kept: the first requests are timed one by one, then wrk measures the
            # kept reports.
            ("annual report",
             [f"/api/v1/reports/annual?year={y}" for y in (year, year - 1, year - 2)],
             {"first": True}),
        ]
        health = None
        for name, paths, extra in scenarios:
            if not paths:
                continue
            settle(port)
            anon.lap()
            extra = dict(extra)
            first = []
            if extra.pop("first", False):
                for path in paths:
                    first.append(first_answer(port, path))
            row = wrk(port, paths, args, **extra)
            row["anon_mb"] = anon.lap()
            row["name"] = name
            row["first_s"] = first
            health = health or row["ok_per_s"]
            row["ratio"] = row["ok_per_s"] / health
            result["rows"].append(row)
            print(f"{engine} ({binary}): {name}: {row['ok_per_s']:,.0f}/s", file=sys.stderr)

        # Readers beside one writer uploading in bulk.
        settle(port)
        anon.lap()
        writer = Uploader(port, admin, states, run)
        writer.start()
        time.sleep(0.5)
        row = wrk(port, [f"/api/v1/recommendations/{i}" for i in rec_ids], args)
        writer.stop.set()
        writer.join()
        row["anon_mb"] = anon.lap()
        row["name"] = "one recommendation by id, beside a bulk upload"
        row["ratio"] = row["ok_per_s"] / health
        result["rows"].append(row)
        uploads = len(writer.seconds)
        result["writer"] = {
            "items": writer.items,
            "uploads": uploads,
            "items_per_s": writer.items / sum(writer.seconds) if uploads else 0,
            "median_s": sorted(writer.seconds)[uploads // 2] if uploads else 0,
        }

        settle(port)
        anon.lap()
        changes, seconds = catch_up(port, sync)
        result["feed"] = {"changes": changes, "seconds": seconds, "anon_mb": anon.lap()}
        result["peak_rss_mb"] = memory_kb(proc.pid, "VmHWM") / 1024
        anon.stop.set()
        anon.join()
        result["peak_anon_mb"] = anon.peak_kb / 1024
    finally:
        proc.terminate()
        proc.wait()
    return result


def rate(x):
    """A rate with the digits that mean something: 29,153; 26.4; 0.35."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def ratio(x):
    """Two significant digits, never in exponent form: 0.20, 0.046, 0.000092."""
    if x >= 0.1 or x <= 0:
        return f"{x:.2f}"
    return f"{x:.{1 - math.floor(math.log10(x))}f}"


def markdown(result, args):
    seed = result["seed"]
    lines = [f"### {result['engine']}", ""]
    lines.append(
        f"`upr-tc seed --scale {seed['scale']} --seed {seed['seed']}`: {seed['seconds']:.1f} s "
        f"for {seed['recommendations']:,} recommendations, {seed['stakeholders']:,} stakeholders, "
        f"{seed['activities']:,} activities ({seed['public_activities']:,} public), "
        f"{seed['consents']:,} consent records, {seed['offers']:,} offers, "
        f"{seed['assistance_requests']:,} assistance requests ({seed['changes']:,} feed rows); "
        f"database {result['size'] / 1e6:,.0f} MB.")
    lines.append("")
    base = result.get("baseline")
    head = (f"| scenario (`wrk -t{args.threads} -c{args.connections} -d{args.duration}s`) "
            "| 2xx/s | other answers | p50 | p99 | ratio to `/health/live` | own memory, peak |")
    if base:
        head += " baseline 2xx/s | × baseline |"
    lines.append(head)
    lines.append("|---" * (9 if base else 7) + "|")
    for i, r in enumerate(result["rows"]):
        codes = ", ".join(f"{n:,} × {code}" for code, n in sorted(r["statuses"].items())
                          if not 200 <= code < 300)
        other = codes or "0"
        if r["socket_errors"]:
            other += f" (socket errors: {r['socket_errors']})"
        line = (f"| {r['name']} | {rate(r['ok_per_s'])} | {other} | {r['p50']:.2f} ms "
                f"| {r['p99']:.2f} ms | {ratio(r['ratio'])} | {r['anon_mb']:.0f} MB |")
        if base:
            b = base["rows"][i]["ok_per_s"]
            times = f"{r['ok_per_s'] / b:.2f}" if b else "—"
            line += f" {rate(b)} | {times} |"
        lines.append(line)
    w, f = result["writer"], result["feed"]
    lines.append("")
    for r in result["rows"]:
        if r.get("first_s"):
            times = ", ".join(f"{t:.2f} s" for t in r["first_s"])
            lines.append(f"{r['name']}: the first request of each took {times}, one at a time, "
                         "before the row above (which measures what was then kept).")
    lines.append(f"Bulk writer beside the readers: {w['items']:,} recommendations in "
                 f"{w['uploads']} uploads of 1,000, {w['items_per_s']:,.0f} items/s "
                 f"(median upload {w['median_s']:.2f} s).")
    lines.append(f"Feed catch-up by one client, pages of 1,000: {f['changes']:,} changes in "
                 f"{f['seconds']:.2f} s = {f['changes'] / f['seconds']:,.0f} changes/s "
                 f"(own memory at most {f['anon_mb']:.0f} MB).")
    lines.append(f"Peak resident memory of the service over the run: "
                 f"{result['peak_rss_mb']:.0f} MB; of its own memory (`RssAnon`): "
                 f"{result['peak_anon_mb']:.0f} MB.")
    if base:
        bw, bf = base["writer"], base["feed"]
        lines.append(f"Baseline (`{base['binary']}`, on the same data just before): bulk writer "
                     f"{bw['items_per_s']:,.0f} items/s; feed catch-up "
                     f"{bf['changes'] / bf['seconds']:,.0f} changes/s; peak memory "
                     f"{base['peak_rss_mb']:.0f} MB, own {base['peak_anon_mb']:.0f} MB.")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=default_binary())
    ap.add_argument("--baseline", metavar="BINARY",
                    help="an earlier build (same migrations) that serves the same seeded data "
                         "first, each scenario's rate then compared side by side")
    ap.add_argument("--scale", choices=["un", "small"], default="un")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting of the service, added to its environment")
    ap.add_argument("--engine", choices=["sqlite", "postgres"], action="append",
                    help="only this engine (repeatable); both by default")
    ap.add_argument("--out", help="also write the tables to this file")
    ap.add_argument("--json", help="and every figure, as JSON, to this file")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    extra = dict(kv.split("=", 1) for kv in args.env)
    # Stopped from outside, it still removes its databases (the `finally` of databases()).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"stopped by signal {signal.SIGTERM}"))
    out, results = [], []
    with databases() as runs:
        for engine, env in runs:
            if args.engine and engine not in args.engine:
                continue
            result = measure(args, engine, dict(env, **extra))
            text = markdown(result, args)
            print(text + "\n", flush=True)
            out.append(text)
            results.append(result)
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n\n".join(out) + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
