#!/usr/bin/env python3
"""The API's docs page in a real browser (issue 14), run by .ci/run.

    python3 tests/browser/docs.py --upr-tc PATH [--chromium /usr/bin/chromium]
        [--screenshot docs.png]

Starts `upr-tc serve` on a new SQLite database and opens /docs/ in headless Chromium through
Playwright. Checks that the page bears the service's title, that every operation of the
contract the server serves is listed, that no request failed or left the service and no error
reached the console, and that what a reader opens shows real examples: adding a
recommendation shows a recommendation's text in English and French, and its error answers each
show a problem of their own status (a 422 with its field errors, a 409, …), not one example for
all.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))

from activities import free_port, wait_ready  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402


def operations(base):
    with urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=30) as res:
        doc = json.load(res)
    methods = {"get", "put", "post", "patch", "delete"}
    return doc, [(m, p) for p, item in doc["paths"].items() for m in item if m in methods]


def check(page, base):
    failures, foreign, errors = [], [], []
    page.on("requestfailed", lambda r: failures.append(f"{r.url}: {r.failure}"))
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(base) else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(f"{base}/docs/", wait_until="networkidle")
    assert response is not None and response.status == 200, response and response.status
    doc, ops = operations(base)
    title = page.title()
    assert title == f"{doc['info']['title']} — API documentation", title
    blocks = page.locator(".opblock")
    blocks.first.wait_for()
    assert blocks.count() == len(ops), (blocks.count(), len(ops))

    # Adding a recommendation: its example body and its error answers.
    create = page.locator("#operations-recommendations-create_recommendation")
    create.locator(".opblock-summary").click()
    body = create.locator(".body-param__example, .microlight").first
    body.wait_for()
    text = create.inner_text()
    for expected in ["Ratify the Optional Protocol", "Ratifier le Protocole facultatif"]:
        assert expected in text, f"no {expected!r} in the example of create_recommendation"
    for status, code in [("422", "validation_failed"), ("409", "conflict"), ("401", "unauthorized")]:
        row = create.locator(f"tr.response[data-code='{status}']")
        assert row.count() == 1, f"no {status} answer listed"
        shown = row.inner_text()
        assert f'"status": {status}' in shown and f'"code": "{code}"' in shown, (status, shown[:400])
    assert not failures, failures
    assert not foreign, f"requests beyond the service: {foreign}"
    assert not errors, errors
    return len(ops)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upr-tc", required=True, help="the service's binary")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--screenshot", default=None)
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    env = dict(os.environ, UPR_TC_LOG="warn", UPR_TC_JWT_SECRET="d" * 64,
               UPR_TC_RATE_LIMITS="off", DATABASE_URL=f"sqlite://{work}/docs.sqlite3")
    port = free_port()
    server = subprocess.Popen([args.upr_tc, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium,
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            count = check(page, f"http://127.0.0.1:{port}")
            print(f"the docs page lists all {count} operations under the service's title, "
                  "with real examples and a problem per error status")
            if args.screenshot:
                page.screenshot(path=args.screenshot, full_page=False)
                print(f"saved {args.screenshot}")
            browser.close()
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
