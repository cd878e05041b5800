#!/usr/bin/env python3
"""CI's check that the Python client generated from the contract can file an assistance
request and read its matches, against a running service.

    PYTHONPATH=SDK_FOLDER python3 examples/matching/check.py --base-url http://127.0.0.1:PORT \\
        --upr-tc target/debug/upr-tc

With tokens from `upr-tc token` (the service and the binary share UPR_TC_JWT_SECRET), all
through the generated client: `admin` registers a recommendation Kenya accepted and two
organisations, each of which offers help (one in French on the theme and kind of help asked
for, serving Africa; one in English only); Kenya's own token files a request for that
recommendation; then the request's matches are read, every page, anonymously, through the
generated page model. The fitting offer must rank above the other, which must say it cannot
serve and why. It works on a database that already holds data (CI runs it after the fuzzer):
its names carry a run id, and it looks only at its own offers. Exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
from typing import Any

from upr_tc_client import AuthenticatedClient, Client
from upr_tc_client.api.assistance_requests import (
    create_assistance_request,
    list_assistance_request_matches,
)
from upr_tc_client.api.offers import create_offer
from upr_tc_client.api.recommendations import create_recommendation
from upr_tc_client.api.stakeholders import create_stakeholder
from upr_tc_client.models import (
    AssistanceRequestInput,
    OfferInput,
    OfferMatchPage,
    RecommendationInput,
    StakeholderInput,
)
from upr_tc_client.types import UNSET


class CheckFailed(Exception):
    pass


def mint(upr_tc: str, role: str, *extra: str) -> str:
    out = subprocess.run(
        [upr_tc, "token", "--role", role, "--subject", f"matching-check-{role}", "--ttl", "1h", *extra],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def created(operation: Any, **kwargs: Any) -> dict[str, Any]:
    response = operation.sync_detailed(**kwargs)
    if int(response.status_code) != 201:
        name = operation.__name__.rsplit(".", 1)[-1]
        raise CheckFailed(f"{name} answered {int(response.status_code)}: {response.content[:500]!r}")
    return json.loads(response.content)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    print(f"   ok: {message}")


def run(base_url: str, upr_tc: str) -> None:
    run_id = secrets.token_hex(4)
    admin = AuthenticatedClient(base_url=base_url, token=mint(upr_tc, "admin"))
    kenya = AuthenticatedClient(base_url=base_url, token=mint(upr_tc, "state", "--state", "KEN"))
    anonymous = Client(base_url=base_url)

    recommendation = created(create_recommendation, client=admin, body=RecommendationInput.from_dict({
        "state_under_review": "KEN", "recommending_states": ["FRA"], "session": 35,
        "text": {"en": f"Adopt a law against gender-based violence ({run_id})"},
        "response": "supported", "themes": ["womens_rights"],
    }))
    offers = {}
    for label, languages in (("fits", ["fr"]), ("english only", ["en"])):
        org = created(create_stakeholder, client=admin, body=StakeholderInput.from_dict({
            "kind": "civil_society_organization", "name": {"en": f"Matching check {label} {run_id}"},
        }))
        offers[label] = created(create_offer, client=admin, body=OfferInput.from_dict({
            "stakeholder": org["id"], "themes": ["womens_rights"], "modalities": ["legislative_advice"],
            "languages": languages, "regions": ["002"],
            "period": {"start": "2027-01-01", "end": "2027-12-31"},
            "description": {"en": f"Legislative drafting on gender-based violence ({run_id}, {label})"},
        }))["id"]
    request = created(create_assistance_request, client=kenya, body=AssistanceRequestInput.from_dict({
        "state": "KEN", "recommendations": [recommendation["id"]], "themes": ["womens_rights"],
        "modalities": ["legislative_advice"], "languages": ["fr"],
        "period": {"start": "2027-01-01", "end": "2027-12-31"},
        "description": {"fr": f"Conseil législatif sur les violences fondées sur le genre ({run_id})"},
    }))
    print(f"   filed request {request['id']} through the generated client")

    ranked: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        response = list_assistance_request_matches.sync_detailed(
            request["id"], client=anonymous, limit=50, cursor=cursor if cursor else UNSET)
        if not isinstance(response.parsed, OfferMatchPage):
            raise CheckFailed(f"the generated client did not read a page of matches: {response.content[:300]!r}")
        page = json.loads(response.content)
        ranked += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    ids = [m["offer"]["id"] for m in ranked]
    expect(offers["fits"] in ids and offers["english only"] in ids, "both offers are among the matches")
    fits = ranked[ids.index(offers["fits"])]
    other = ranked[ids.index(offers["english only"])]
    expect(ids.index(offers["fits"]) < ids.index(offers["english only"]), "the fitting offer ranks first")
    expect(fits["can_serve"] and not other["can_serve"], "the English-only offer cannot serve")
    reasons = {f["factor"]: f["detail"] for f in other["explanation"]}
    expect("no shared language" in reasons["can_serve"], f"and says why: {reasons['can_serve']}")
    total = sum(f["contribution"] for f in fits["explanation"])
    expect(abs(total - fits["score"]) < 0.002, f"the contributions sum to the score ({fits['score']})")


def main() -> int:
    parser = argparse.ArgumentParser(description="The generated client files a request and reads its matches.")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--upr-tc", required=True, help="the service's binary, to mint tokens")
    args = parser.parse_args()
    try:
        run(args.base_url, args.upr_tc)
    except CheckFailed as e:
        print(f"matching check FAILED: {e}", file=sys.stderr)
        return 1
    print("matching check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
