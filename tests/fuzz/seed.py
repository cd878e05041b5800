#!/usr/bin/env python3
"""Items for the API fuzzing to find (.ci/run): one of each kind, made through the API before
schemathesis starts, so that the operations on one item are tried on an item that exists and
not only on random ids that name nothing (schemathesis.toml points their path parameters here).

    python3 tests/fuzz/seed.py --base-url http://127.0.0.1:PORT --upr-tc target/debug/upr-tc

Prints `export UPR_TC_FUZZ_…=id` lines for the shell to evaluate; exits 1, saying which step
failed, when an item cannot be made.
"""
import argparse
import json
import subprocess
import sys
import urllib.error
import urllib.request


def mint(upr_tc, role, *extra):
    out = subprocess.run([upr_tc, "token", "--role", role, "--subject", f"fuzz-seed-{role}", *extra],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def post(base, path, token, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.load(res)["id"]
    except urllib.error.HTTPError as e:
        sys.exit(f"seed: POST {path} answered {e.code}: {e.read().decode(errors='replace')[:500]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--upr-tc", required=True, help="the service's binary, to mint tokens")
    args = ap.parse_args()
    base = args.base_url.rstrip("/")
    admin = mint(args.upr_tc, "admin")
    kenya = mint(args.upr_tc, "state", "--state", "KEN")
    ids = {}
    ids["STAKEHOLDER"] = post(base, "/api/v1/stakeholders", admin, {
        "kind": "civil_society_organization", "country": "KEN",
        "name": {"en": "Fuzzing seed organisation"}, "themes": ["womens_rights"]})
    ids["RECOMMENDATION"] = post(base, "/api/v1/recommendations", admin, {
        "state_under_review": "KEN", "recommending_states": ["FRA"], "session": 35,
        "text": {"en": "Adopt a law against gender-based violence (fuzzing seed)."},
        "response": "supported", "themes": ["womens_rights"]})
    activity = {
        "submitter": ids["STAKEHOLDER"], "states_concerned": ["KEN"],
        "title": {"en": "Training of judges (fuzzing seed)"},
        "summary": {"en": "Training of judges on gender-based violence."},
        "modality": "training", "status": "implementation", "themes": ["womens_rights"],
        "recommendations": [ids["RECOMMENDATION"]], "publication": "submitted"}
    ids["ACTIVITY"] = post(base, "/api/v1/activities", admin, activity)
    ids["OFFER"] = post(base, "/api/v1/offers", admin, {
        "stakeholder": ids["STAKEHOLDER"], "status": "open", "themes": ["womens_rights"],
        "modalities": ["legislative_advice"], "languages": ["en"], "states": ["KEN"],
        "description": {"en": "Legislative drafting on gender-based violence (fuzzing seed)."}})
    ids["REQUEST"] = post(base, "/api/v1/assistance-requests", kenya, {
        "state": "KEN", "status": "open", "recommendations": [ids["RECOMMENDATION"]],
        "themes": ["womens_rights"], "modalities": ["legislative_advice"], "languages": ["en"],
        "description": {"en": "Advice on a law against gender-based violence (fuzzing seed)."}})
    ids["INTEREST"] = post(base, f"/api/v1/assistance-requests/{ids['REQUEST']}/interests", admin, {
        "offer": ids["OFFER"], "message": "We can help (fuzzing seed)."})
    ids["CONSENT"] = post(base, "/api/v1/consents", kenya, {
        "decision": "granted", "scope": "activity", "activity_id": ids["ACTIVITY"]})
    # Spares for the deletions, so that the items above stay for the other operations.
    ids["STAKEHOLDER_SPARE"] = post(base, "/api/v1/stakeholders", admin, {
        "kind": "civil_society_organization", "name": {"en": "Fuzzing seed spare"}})
    ids["RECOMMENDATION_SPARE"] = post(base, "/api/v1/recommendations", admin, {
        "state_under_review": "UGA", "session": 12, "text": {"en": "Spare (fuzzing seed)."}})
    ids["ACTIVITY_SPARE"] = post(base, "/api/v1/activities", admin, dict(
        activity, recommendations=[], title={"en": "Spare activity (fuzzing seed)"}))
    ids["OFFER_SPARE"] = post(base, "/api/v1/offers", admin, {
        "stakeholder": ids["STAKEHOLDER"], "description": {"en": "Spare offer (fuzzing seed)."}})
    ids["REQUEST_SPARE"] = post(base, "/api/v1/assistance-requests", kenya, {
        "state": "KEN", "description": {"en": "Spare request (fuzzing seed)."}})
    for name, value in ids.items():
        print(f"export UPR_TC_FUZZ_{name}={value}")


if __name__ == "__main__":
    main()
