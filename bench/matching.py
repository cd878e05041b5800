#!/usr/bin/env python3
"""The matching function (issue 11): how well it ranks, and how fast.

    cargo build --release --bin upr-tc
    python3 bench/matching.py [--binary PATH] [--offers 10000] [--requests 300] [--cases 200]

Three measurements, on SQLite and, when BENCH_DATABASE_URL names a server where databases may
be created, on PostgreSQL too:

1. Quality (recall@5). A synthetic world, generated here from its own model of who does what
   and written apart from the scorer (it never reads the scorer's factors or weights): 300
   providers, each with a hidden profile (one to three specialty themes, one or two
   modalities, working languages, the regions it serves, when it is available), each making
   one offer that states that profile with noise, and each having done a few activities in
   States it serves, on its themes, in its modality. A fifth of those activities are held
   out: for each, the State files the request that activity would have answered (its themes,
   its modality, the State's language, a period in 2027, a description in other words), and
   the question is whether the held-out activity's provider ranks among the first five offers
   of `GET /assistance-requests/{id}/matches`. The other activities are uploaded, public, as
   the providers' track record. Reported: recall@1, recall@5, recall@10, the mean reciprocal
   rank, and what a random order of the offers that serve the State would give.
2. Speed of matches: one request among `--offers` open offers (1,000 stakeholders; uploaded in bulk, as NDJSON), p50 and
   p95 over `--requests` calls of `GET /assistance-requests/{id}/matches?limit=20`, anonymous.
   On PostgreSQL, `VACUUM ANALYZE` runs after the load (what autovacuum does soon after it),
   here and before timing the coordination view.
3. Speed of the coordination view: the real UPR Info export of sessions 1-5 (shared/data) is
   imported; the State with the most recommendations gets as many activities as it has
   recommendations, each on one to three of them, by 20 UN entities; p50 and p95
   of `GET /states/{code}/coordination`, anonymous and as `admin`.
4. The coordination view of a very large State (`--only coordination-large`, `--accepted N`,
   default 50,000): N accepted recommendations of one State, a fifth of them served by one
   activity each and one of them by 2,000 activities of 20 UN entities whose periods overlap;
   the time of each of `--large-requests` calls (default 5) as `admin`, or the answer's status
   when it is not a 200 (the view's time limit, `UPR_TC_COORDINATION_TIMEOUT`).
"""
import argparse
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

HERE = os.path.dirname(os.path.abspath(__file__))
UPR_INFO = os.path.join(HERE, "..", "..", "shared", "data", "upr-info", "sessions-01-05.csv")

# The world's vocabulary: what each theme's work is about, in words a person would use.
THEME_WORDS = {
    "womens_rights": "women gender equality discrimination violence domestic femicide girls",
    "rights_of_the_child": "children child juvenile early marriage birth schooling minors",
    "torture_and_cid_treatment": "torture ill-treatment prevention mechanism interrogation custody",
    "justice": "judges prosecutors courts judiciary fair trial legal aid judicial reform",
    "detention": "prison detention overcrowding pretrial inmates conditions monitoring",
    "right_to_education": "schools education teachers curriculum enrolment literacy",
    "right_to_health": "health clinics maternal care medicines hospitals",
    "migrants": "migrants migration border returns labour migrants smuggling",
    "trafficking": "trafficking victims exploitation smuggling identification shelters",
    "nhri": "national human rights institution ombudsman paris principles accreditation",
    "persons_with_disabilities": "disability accessibility inclusion persons with disabilities",
    "freedom_of_opinion_and_expression": "expression journalists media speech defamation",
    "death_penalty": "death penalty moratorium abolition capital punishment",
    "indigenous_peoples": "indigenous peoples land consultation consent traditional",
    "elections": "elections electoral observation voters commission ballots",
}
THEMES = list(THEME_WORDS)
MODALITIES = ["training", "legislative_advice", "institution_building", "data_and_indicators",
              "awareness_raising", "peer_exchange", "needs_assessment", "reporting_support"]
FILLER = ("support programme national capacity strengthen project assistance cooperation "
          "partners experts workshops plan implementation follow-up").split()


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
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)

    def call(self, method, path, token=None, body=None, content_type="application/json"):
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = content_type
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        assert 200 <= r.status < 300, (method, path, r.status, data[:400])
        return json.loads(data) if data and r.getheader("Content-Type", "").endswith("json") else data

    def all(self, path, token=None):
        items, cursor = [], None
        while True:
            sep = "&" if "?" in path else "?"
            page = self.call("GET", f"{path}{sep}limit=200" + (f"&cursor={cursor}" if cursor else ""), token)
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items


class Service:
    """`upr-tc serve` on a database, with a client and tokens."""

    def __init__(self, binary, env):
        self.binary, self.env = binary, env
        port = free_port()
        self.proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(port)
        self.client = Client(port)
        self.admin = self.token("--role", "admin")

    def token(self, *args):
        return subprocess.run([self.binary, "token", *args], env=self.env, check=True,
                              capture_output=True, text=True).stdout.strip()

    def settle(self):
        """On PostgreSQL, what autovacuum does soon after a bulk load (statistics, the
        visibility map that lets index-only scans skip the rows), done now rather than
        waited for, so that what is timed is the steady state."""
        url = self.env["DATABASE_URL"]
        if url.startswith("postgres"):
            subprocess.run(["psql", url, "-qc", "VACUUM ANALYZE"], check=True,
                           capture_output=True)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


# The generated world (quality) ----------------------------------------------------------------


def language_of(country, rnd):
    """The language a State asks for help in, from where it is."""
    region = (country.get("region") or {}).get("code")
    sub = (country.get("sub_region") or {}).get("code")
    if sub == "419":
        return "es"
    if region == "002":
        return "fr" if rnd.random() < 0.45 else ("ar" if sub == "015" else "en")
    if sub == "145":
        return "ar" if rnd.random() < 0.6 else "en"
    if sub == "151" or sub == "143":
        return "ru" if rnd.random() < 0.5 else "en"
    return "en"


def words(themes, rnd, n):
    pool = " ".join(THEME_WORDS[t] for t in themes).split()
    return " ".join(rnd.choice(pool) if rnd.random() < 0.7 else rnd.choice(FILLER)
                    for _ in range(n))


def world(countries, rnd, providers=300):
    """Providers with hidden profiles, their offers, and the activities they did."""
    states = [c for c in countries if c["status"] == "member_state"]
    language = {c["alpha3"]: language_of(c, rnd) for c in states}
    regions = sorted({c["region"]["code"] for c in states if c.get("region")})
    out = []
    for i in range(providers):
        themes = rnd.sample(THEMES, rnd.choice([1, 1, 2, 2, 3]))
        modalities = rnd.sample(MODALITIES, rnd.choice([1, 2]))
        langs = {"en"} if rnd.random() < 0.7 else set()
        langs |= set(rnd.sample(["fr", "es", "ar", "ru"], rnd.choice([0, 1, 1, 2])))
        langs = sorted(langs or {"fr"})
        serves = [] if rnd.random() < 0.2 else rnd.sample(regions, rnd.choice([1, 1, 2]))
        ended = rnd.random() < 0.1
        period = ({"start": "2024-01-01", "end": "2025-12-31"} if ended
                  else {"start": "2026-01-01", "end": rnd.choice(["2027-12-31", "2028-12-31"])})
        # What it says of itself: its profile, with the noise of a real form.
        stated_themes = [t for t in themes if rnd.random() < 0.9] or themes[:1]
        if rnd.random() < 0.3:
            stated_themes.append(rnd.choice(THEMES))
        offer = {
            "themes": sorted(set(stated_themes)),
            "modalities": modalities if rnd.random() < 0.9 else MODALITIES[:3],
            "languages": langs,
            "regions": serves,
            "period": period,
            "description": {"en": f"Provider {i}: " + words(themes, rnd, 25)},
            "capacity": {"en": words(themes, rnd, 8)},
        }
        reach = [c["alpha3"] for c in states
                 if not serves or (c.get("region") or {}).get("code") in serves]
        doable = [s for s in reach if language[s] in langs] or reach
        activities = []
        for _ in range(rnd.randint(1, 5)):
            state = rnd.choice(doable)
            activities.append({
                "state": state,
                "themes": rnd.sample(themes, rnd.randint(1, len(themes))),
                "modality": rnd.choice(modalities),
                "good_practice": rnd.random() < 0.2,
            })
        out.append({"offer": offer, "activities": activities, "ended": ended})
    return out, language


def quality(service, cases):
    rnd = random.Random(11_2026)
    c, admin = service.client, service.admin
    countries = c.call("GET", "/api/v1/reference/countries")["items"]
    providers, language = world(countries, rnd)
    rows = ["kind,country,name__en"] + [f"civil_society_organization,FRA,Provider {i}"
                                        for i in range(len(providers))]
    c.call("POST", "/api/v1/bulk/stakeholders", admin, "\n".join(rows).encode(), "text/csv")
    ids = {s["name"]["en"]: s["id"] for s in c.all("/api/v1/stakeholders", admin)}
    held_out = []
    for i, p in enumerate(providers):
        sid = ids[f"Provider {i}"]
        p["id"] = sid
        offer = c.call("POST", "/api/v1/offers", admin, dict(p["offer"], stakeholder=sid))
        p["offer_id"] = offer["id"]
        for a in p["activities"]:
            if rnd.random() < 0.2 and not p["ended"]:
                held_out.append((p, a))
                continue
            c.call("POST", "/api/v1/activities", admin, {
                "title": {"en": words(a["themes"], rnd, 8)},
                "states_concerned": [a["state"]],
                "submitter": sid,
                "participants": [{"stakeholder": sid, "role": "implementing"}],
                "modality": a["modality"],
                "status": "closed",
                "planned_start": "2024-01-01", "planned_end": "2024-12-31",
                "themes": a["themes"],
                "good_practice": a["good_practice"],
                "publication": "submitted",
            })
    for state in sorted({a["state"] for p in providers for a in p["activities"]}):
        c.call("POST", "/api/v1/consents", service.token("--role", "state", "--state", state),
               {"decision": "granted", "scope": "all"})
    rnd.shuffle(held_out)
    ranks, random_recall = [], []
    for p, a in held_out[:cases]:
        request = c.call("POST", "/api/v1/assistance-requests",
                         service.token("--role", "state", "--state", a["state"]), {
                             "state": a["state"],
                             "themes": a["themes"],
                             "modalities": [a["modality"]],
                             "languages": [language[a["state"]]],
                             "period": {"start": "2027-01-01", "end": "2027-12-31"},
                             "description": {"en": words(a["themes"], rnd, 20)},
                         })
        ranked = [m["offer"]["id"] for m in
                  c.all(f"/api/v1/assistance-requests/{request['id']}/matches")]
        ranks.append(ranked.index(p["offer_id"]) + 1 if p["offer_id"] in ranked else None)
        serving = sum(1 for m in c.all(f"/api/v1/assistance-requests/{request['id']}/matches")
                      if m.get("can_serve"))
        random_recall.append(min(1.0, 5 / serving) if serving else 0.0)
    n = len(ranks)

    def recall(k):
        return sum(1 for r in ranks if r is not None and r <= k) / n

    mrr = sum(1 / r for r in ranks if r) / n
    return n, recall(1), recall(5), recall(10), mrr, statistics.mean(random_recall)


# Speed ----------------------------------------------------------------------------------------


def timed(client, path, token, requests):
    for _ in range(10):
        client.call("GET", path, token)
    times = []
    for _ in range(requests):
        t = time.perf_counter()
        client.call("GET", path, token)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def match_speed(service, offers, requests):
    rnd = random.Random(7)
    c, admin = service.client, service.admin
    rows = ["kind,country,name__en"] + [f"civil_society_organization,KEN,Organisation {i}"
                                        for i in range(1000)]
    c.call("POST", "/api/v1/bulk/stakeholders", admin, "\n".join(rows).encode(), "text/csv")
    stakeholders = [s["id"] for s in c.all("/api/v1/stakeholders", admin)]
    regions = ["002", "142", "150", "019", "009", "014", "145"]
    def one(i):
        themes = rnd.sample(THEMES, rnd.randint(1, 3))
        ended = rnd.random() < 0.1
        return json.dumps({
            "stakeholder": stakeholders[i % len(stakeholders)],
            "themes": themes,
            "sdg_targets": rnd.sample(["5.1", "5.2", "16.3", "16.a", "4.1", "10.2"], 2),
            "modalities": rnd.sample(MODALITIES, rnd.randint(1, 2)),
            "languages": rnd.sample(["en", "fr", "es", "ar"], rnd.randint(1, 2)),
            "regions": [] if rnd.random() < 0.2 else rnd.sample(regions, 1),
            "period": {"start": "2025-01-01", "end": "2025-12-31"} if ended
            else {"start": "2026-01-01", "end": "2027-12-31"},
            "description": {"en": f"Offer {i}: " + words(themes, rnd, 30)},
        })

    body = "\n".join(one(i) for i in range(offers)).encode()
    t0 = time.perf_counter()
    report = c.call("POST", "/api/v1/bulk/offers?mode=partial", admin, body,
                    "application/x-ndjson")
    assert report["created"] == offers, report
    load_time = time.perf_counter() - t0
    request = c.call("POST", "/api/v1/assistance-requests",
                     service.token("--role", "state", "--state", "KEN"), {
                         "state": "KEN", "themes": ["womens_rights"], "sdg_targets": ["5.1"],
                         "modalities": ["legislative_advice"], "languages": ["fr"],
                         "period": {"start": "2027-01-01", "end": "2027-12-31"},
                         "description": {"en": "Legislative advice on a bill against domestic "
                                               "violence and femicide"},
                     })
    path = f"/api/v1/assistance-requests/{request['id']}/matches?limit=20"
    service.settle()
    return load_time, timed(c, path, None, requests)


def coordination_speed(service, requests):
    rnd = random.Random(9)
    c, admin = service.client, service.admin
    with open(UPR_INFO, "rb") as f:
        c.call("POST", "/api/v1/bulk/recommendations?format=upr-info&mode=partial", admin,
               f.read(), "text/csv")
    counts = {}
    for r in c.all("/api/v1/recommendations"):
        counts[r["state_under_review"]] = counts.get(r["state_under_review"], 0) + 1
    state = max(counts, key=counts.get)
    recs = [r["id"] for r in c.all(f"/api/v1/recommendations?state_under_review={state}")]
    rows = ["kind,country,name__en"] + [f"un_entity,,Entity {i}" for i in range(20)]
    c.call("POST", "/api/v1/bulk/stakeholders", admin, "\n".join(rows).encode(), "text/csv")
    entities = [s["id"] for s in c.all("/api/v1/stakeholders?kind=un_entity", admin)]
    body = "\n".join(json.dumps({
        "title": {"en": f"Activity {i}"},
        "states_concerned": [state],
        "submitter": rnd.choice(entities),
        "recommendations": rnd.sample(recs, rnd.randint(1, 3)),
        "modality": rnd.choice(MODALITIES),
        "status": "implementation",
        "planned_start": f"{rnd.randint(2022, 2026)}-01-01",
        "planned_end": f"{rnd.randint(2026, 2028)}-12-31",
        "publication": "submitted",
    }) for i in range(len(recs))).encode()
    c.call("POST", "/api/v1/bulk/activities?mode=partial", admin, body, "application/x-ndjson")
    c.call("POST", "/api/v1/consents", service.token("--role", "state", "--state", state),
           {"decision": "granted", "scope": "all"})
    path = f"/api/v1/states/{state}/coordination"
    service.settle()
    view = c.call("GET", path)
    facts = (state, counts[state], view["accepted_recommendations"], len(view["gaps"]),
             len(view["possible_duplication"]))
    return facts, timed(c, path, None, requests), timed(c, path, admin, requests)


def coordination_large(service, accepted, requests):
    rnd = random.Random(11)
    c, admin = service.client, service.admin
    rows = ["state_under_review,session,response,text__en"] + [
        f"MLT,{20 + i % 20},supported,Recommendation {i} of a very large review" for i in range(accepted)]
    c.call("POST", "/api/v1/bulk/recommendations?mode=partial", admin, "\n".join(rows).encode(),
           "text/csv")
    recs = [r["id"] for r in c.all("/api/v1/recommendations?state_under_review=MLT")]
    rows = ["kind,country,name__en"] + [f"un_entity,,Large entity {i}" for i in range(20)]
    c.call("POST", "/api/v1/bulk/stakeholders", admin, "\n".join(rows).encode(), "text/csv")
    entities = [s["id"] for s in c.all("/api/v1/stakeholders?kind=un_entity", admin)]

    def activity(i, rec):
        return json.dumps({
            "title": {"en": f"Large activity {i}"}, "states_concerned": ["MLT"],
            "submitter": entities[i % len(entities)], "recommendations": [rec],
            "modality": "training", "status": "implementation",
            "planned_start": f"{rnd.randint(2022, 2026)}-01-01",
            "planned_end": f"{rnd.randint(2026, 2028)}-12-31", "publication": "submitted"})
    served = recs[: len(recs) // 5]
    body = [activity(i, rec) for i, rec in enumerate(served)]
    body += [activity(len(served) + i, recs[0]) for i in range(2000)]
    c.call("POST", "/api/v1/bulk/activities?mode=partial", admin, "\n".join(body).encode(),
           "application/x-ndjson")
    service.settle()
    path = "/api/v1/states/MLT/coordination"
    answers = []
    for _ in range(requests):
        t = time.perf_counter()
        c.conn.request("GET", path, headers={"Authorization": f"Bearer {admin}"})
        r = c.conn.getresponse()
        data = r.read()
        seconds = time.perf_counter() - t
        answers.append((seconds, r.status))
        if r.status == 200:
            view = json.loads(data)
            facts = (len(recs), view["accepted_recommendations"], len(view["gaps"]),
                     len(view["possible_duplication"]), len(body))
    return facts if any(s == 200 for _, s in answers) else (len(recs), None, None, None,
                                                              len(body)), answers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(HERE, "..", "target")), "release", "upr-tc"))
    ap.add_argument("--offers", type=int, default=10000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--only", choices=["quality", "matches", "coordination",
                                       "coordination-large"])
    ap.add_argument("--accepted", type=int, default=50000)
    ap.add_argument("--large-requests", type=int, default=5)
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    env = dict(os.environ, UPR_TC_LOG="warn", UPR_TC_JWT_SECRET="b" * 64,
               UPR_TC_BULK_LIMIT=str(1 << 30), UPR_TC_RATE_LIMITS="off")
    engines = [("sqlite", lambda tag: dict(env, DATABASE_URL=f"sqlite://{work}/{tag}.sqlite3"))]
    base = os.environ.get("BENCH_DATABASE_URL")
    created = []

    def pg(tag):
        name = f"upr_tc_bench_{tag}_{uuid.uuid4().hex[:8]}"
        subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {name}"], check=True,
                       capture_output=True)
        created.append(name)
        return dict(env, DATABASE_URL=base.rpartition("/")[0] + "/" + name)

    if base:
        engines.append(("postgres", pg))
    try:
        for engine, database in engines:
            if args.only in (None, "quality"):
                s = Service(args.binary, database("quality"))
                try:
                    n, r1, r5, r10, mrr, rand5 = quality(s, args.cases)
                finally:
                    s.stop()
                print(f"{engine}: quality over {n} held-out activities: recall@1 {r1:.2f}, "
                      f"recall@5 {r5:.2f}, recall@10 {r10:.2f}, MRR {mrr:.2f}; a random order "
                      f"of the offers that serve the State: recall@5 {rand5:.2f}")
            if args.only in (None, "matches"):
                s = Service(args.binary, database("matches"))
                try:
                    load_time, (p50, p95) = match_speed(s, args.offers, args.requests)
                finally:
                    s.stop()
                print(f"{engine}: matches of one request among {args.offers} offers (loaded in "
                      f"{load_time:.0f} s): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
            if args.only in (None, "coordination"):
                s = Service(args.binary, database("coordination"))
                try:
                    facts, (p50, p95), (a50, a95) = coordination_speed(s, args.requests)
                finally:
                    s.stop()
                state, n, accepted, gaps, dup = facts
                print(f"{engine}: coordination view of {state} ({n} recommendations, {accepted} "
                      f"accepted, {gaps} gaps, {dup} possible duplications, {n} activities): "
                      f"public p50 {p50:.1f} ms, p95 {p95:.1f} ms; admin p50 {a50:.1f} ms, "
                      f"p95 {a95:.1f} ms")
            if args.only == "coordination-large":
                s = Service(args.binary, database("large"))
                try:
                    facts, answers = coordination_large(s, args.accepted, args.large_requests)
                finally:
                    s.stop()
                n, accepted, gaps, dup, activities = facts
                told = ", ".join(f"{t:.2f} s" + ("" if status == 200 else f" ({status})")
                                 for t, status in answers)
                print(f"{engine}: coordination view of a State with {n} recommendations "
                      f"({accepted} accepted, {gaps} gaps, {dup} possible duplications, "
                      f"{activities} activities), as admin: {told}")
    finally:
        for name in created:
            subprocess.run(["psql", base, "-qc", f"DROP DATABASE {name} WITH (FORCE)"],
                           capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
