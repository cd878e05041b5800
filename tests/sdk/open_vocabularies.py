#!/usr/bin/env python3
"""CI's check that a client generated from this contract keeps working when a vocabulary grows.

    PYTHONPATH=SDK_FOLDER python3 tests/sdk/open_vocabularies.py --base-url http://127.0.0.1:PORT \\
        --upr-tc target/debug/upr-tc

It reads real answers of the running service (a recommendation, a stakeholder, an activity and
their list pages), puts into them codes this release has never heard of (a theme, an affected
persons group, a funding source, a modality, a stakeholder kind, a State), and parses them with
the generated models, as a client built today would parse an answer of a later release. Every
code must come through as it was sent. It then checks that requests stay closed: the generated
input models list the codes this release accepts. Exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import urllib.error
import urllib.request
from typing import Any

from checks import CheckFailed, mint

from upr_tc_client.models import (
    Activity,
    ActivityPage,
    KnownThemeCode,
    Recommendation,
    RecommendationPage,
    Stakeholder,
    StakeholderPage,
)

NEW = {
    "theme": "theme_added_later",
    "affected_persons": "group_added_later",
    "funding_source": "fund_added_later",
    "modality": "modality_added_later",
    "kind": "kind_added_later",
    "state": "XKX",
}


def call(base: str, method: str, path: str, token: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.load(res)
    except urllib.error.HTTPError as e:
        raise CheckFailed(f"{method} {path}: {e.code} {e.read().decode(errors='replace')}") from e


def seed(base: str, admin: str) -> dict[str, Any]:
    run = secrets.token_hex(4)
    rec = call(base, "POST", "/api/v1/recommendations", admin, {
        "state_under_review": "KEN",
        "recommending_states": ["FRA"],
        "session": 35,
        "text": {"en": f"Ratify the convention ({run})."},
        "themes": ["womens_rights"],
        "affected_persons": ["children"],
    })
    org = call(base, "POST", "/api/v1/stakeholders", admin, {
        "kind": "civil_society_organization",
        "country": "KEN",
        "name": {"en": f"Vocabulary check {run}"},
        "themes": ["womens_rights"],
    })
    activity = call(base, "POST", "/api/v1/activities", admin, {
        "submitter": org["id"],
        "states_concerned": ["KEN"],
        "title": {"en": f"Training ({run})"},
        "summary": {"en": "Training of judges."},
        "modality": "training",
        "status": "implementation",
        "funding_sources": ["vftc"],
        "themes": ["womens_rights"],
        "recommendations": [rec["id"]],
    })
    return {"recommendation": rec, "stakeholder": org, "activity": activity}


def grown(item: dict[str, Any]) -> dict[str, Any]:
    """The item as a later release might send it: a new code in each open vocabulary it has."""
    item = json.loads(json.dumps(item))
    if "themes" in item:
        item["themes"].append(NEW["theme"])
    if "affected_persons" in item:
        item["affected_persons"].append(NEW["affected_persons"])
    if "funding_sources" in item:
        item["funding_sources"].append(NEW["funding_source"])
    if "modality" in item:
        item["modality"] = NEW["modality"]
    if "kind" in item:
        item["kind"] = NEW["kind"]
    if "state_under_review" in item:
        item["state_under_review"] = NEW["state"]
    if "states_concerned" in item:
        item["states_concerned"].append(NEW["state"])
    return item


def parse(model: Any, answer: dict[str, Any], what: str) -> Any:
    try:
        return model.from_dict(answer)
    except (ValueError, KeyError, TypeError) as e:
        raise CheckFailed(f"the generated {model.__name__} refused a later release's {what}: {e!r}") from e


def kept(parsed: Any, sent: dict[str, Any], what: str) -> None:
    back = parsed.to_dict()
    for field in ("themes", "affected_persons", "funding_sources", "modality", "kind",
                  "state_under_review", "states_concerned"):
        if field in sent and back.get(field) != sent[field]:
            raise CheckFailed(f"{what}.{field}: sent {sent[field]!r}, the model gave {back.get(field)!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--upr-tc", required=True, help="the service's binary, for tokens")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    admin = mint(args.upr_tc, "admin", "vocabularies")
    models = {
        "recommendation": (Recommendation, RecommendationPage, "/api/v1/recommendations"),
        "stakeholder": (Stakeholder, StakeholderPage, "/api/v1/stakeholders"),
        "activity": (Activity, ActivityPage, "/api/v1/activities"),
    }
    try:
        items = seed(base, admin)
        for what, (model, page_model, path) in models.items():
            item = call(base, "GET", f"{path}/{items[what]['id']}", admin)
            later = grown(item)
            kept(parse(model, later, what), later, what)
            page = call(base, "GET", f"{path}?limit=5", admin)
            page["items"] = [grown(i) for i in page["items"]]
            for parsed, sent in zip(parse(page_model, page, what).items, page["items"]):
                kept(parsed, sent, f"{what} page")
            print(f"{what}: a later release's codes parse and come back unchanged")
        # Requests stay closed: the input models offer the codes this release takes.
        if "womens_rights" not in {c.value for c in KnownThemeCode}:
            raise CheckFailed("KnownThemeCode does not list womens_rights")
        if NEW["theme"] in {c.value for c in KnownThemeCode}:
            raise CheckFailed("KnownThemeCode lists a code the service does not take")
    except CheckFailed as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    print("open vocabularies: the generated client keeps codes it has never seen")
    return 0


if __name__ == "__main__":
    sys.exit(main())
