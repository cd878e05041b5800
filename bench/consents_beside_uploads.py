#!/usr/bin/env python3
"""A State's consent writes while a contributor uploads heavy rows, build against build.

Each build serves a new SQLite database of its own; a contributor uploads rows of long texts
in three languages (NDJSON, the mode given), while a State withdraws and grants its consent to
one activity every 0.2 s. Prints, for each build and mode, how the upload was answered and how
long it took, and the consents' answers and times (median, slowest, how many were not 201).

    python3 bench/consents_beside_uploads.py --binary AFTER --baseline BEFORE \
        --rows 600 --words 600 --modes atomic,partial
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request


def call(base, method, path, token=None, body=None, content_type="application/json"):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if data is not None:
        request.add_header("Content-Type", content_type)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=600) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    return status, time.monotonic() - started, text


def token(binary, env, *args):
    return subprocess.run(
        [binary, "token", *args], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def run(binary, port, mode, rows, words):
    folder = tempfile.mkdtemp(prefix="consents-")
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite://{folder}/db.sqlite3",
        UPR_TC_BIND=f"127.0.0.1:{port}",
        UPR_TC_RATE_LIMITS="off",
        UPR_TC_LOG="warn",
    )
    subprocess.run([binary, "migrate"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([binary, "serve"], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(200):
            try:
                if call(f"http://127.0.0.1:{port}", "GET", "/health/ready")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        admin = token(binary, env, "--role", "admin", "--subject", "bench")
        status, _, text = call(
            base,
            "POST",
            "/stakeholders",
            admin,
            {"kind": "civil_society_organization", "country": "KEN", "name": {"en": "Heavy"}},
        )
        assert status == 201, text
        org = json.loads(text)["id"]
        contributor = token(binary, env, "--role", "contributor", "--stakeholder", org)
        kenya = token(binary, env, "--role", "state", "--state", "KEN")
        status, _, text = call(
            base,
            "POST",
            "/activities",
            contributor,
            {
                "title": {"en": "Consented to and withdrawn"},
                "states_concerned": ["KEN"],
                "status": "implementation",
                "publication": "submitted",
            },
        )
        assert status == 201, text
        activity = json.loads(text)["id"]
        rng = random.Random(1)
        vocabulary = [
            "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 10)))
            for _ in range(20000)
        ]
        text_of = lambda n: " ".join(rng.choice(vocabulary) for _ in range(n))
        lines = []
        for i in range(rows):
            lines.append(
                json.dumps(
                    {
                        "title": {"en": f"Heavy {i} {text_of(6)}"},
                        "summary": {lang: text_of(words) for lang in ("en", "fr", "es")},
                        "results": {lang: text_of(words) for lang in ("en", "fr", "es")},
                        "states_concerned": ["KEN"],
                        "status": "pipeline",
                    }
                )
            )
        body = ("\n".join(lines) + "\n").encode()
        upload = {}

        def send():
            upload["answer"] = call(
                base,
                "POST",
                f"/bulk/activities?mode={mode}",
                contributor,
                body,
                "application/x-ndjson",
            )

        consents = []
        thread = threading.Thread(target=send)
        thread.start()
        i = 0
        while thread.is_alive():
            decision = "withdrawn" if i % 2 == 0 else "granted"
            status, took, _ = call(
                base,
                "POST",
                "/consents",
                kenya,
                {"decision": decision, "scope": "activity", "activity_id": activity},
            )
            consents.append((status, took))
            i += 1
            time.sleep(0.2)
        thread.join()
        status, took, text = upload["answer"]
        report = json.loads(text) if text.startswith(b"{") else {}
        written = report.get("created", report.get("report", {}).get("created"))
        times = [t for _, t in consents] or [0.0]
        return {
            "upload": f"{status} in {took:.1f} s, {len(body) / 1e6:.1f} MB, created {written}",
            "consents": len(consents),
            "not 201": sum(1 for s, _ in consents if s != 201),
            "median s": round(statistics.median(times), 3),
            "slowest s": round(max(times), 3),
        }
    finally:
        server.terminate()
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--baseline")
    parser.add_argument("--rows", type=int, default=600)
    parser.add_argument("--words", type=int, default=600)
    parser.add_argument("--modes", default="atomic,partial")
    parser.add_argument("--port", type=int, default=18390)
    args = parser.parse_args()
    builds = [("after", args.binary)]
    if args.baseline:
        builds.insert(0, ("before", args.baseline))
    for mode in args.modes.split(","):
        for name, binary in builds:
            print(mode, name, json.dumps(run(binary, args.port, mode, args.rows, args.words)))


if __name__ == "__main__":
    main()
