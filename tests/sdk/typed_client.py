#!/usr/bin/env python3
"""CI's check that a client generated from this contract serves a script that uploads in bulk.

    PYTHONPATH=SDK_FOLDER python3 tests/sdk/typed_client.py --base-url http://127.0.0.1:PORT \\
        --upr-tc target/debug/upr-tc

Through the generated operations only: it uploads stakeholders as CSV and as NDJSON
(`import_stakeholders`, the file sent with `format_` saying what it is), and the import
reports parse. It then
reads an item of each kind back (`get_*`) and checks that every field an answer always sends
reaches the model as a value or `None`, never `Unset`: the contract calls them required. The
snapshot (`export_snapshot`) comes as a file whose lines parse by their `type` (`SnapshotLine*`),
and the change feed (`list_changes`) as typed items: the `data` of each is the model of its kind
(an `Activity`, a `Consent`…), not a bare dictionary. Exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import io
import json
import secrets
import sys
from typing import Any

from checks import CheckFailed, mint

import attrs
from upr_tc_client import AuthenticatedClient, Client
from upr_tc_client.api.activities import create_activity, get_activity
from upr_tc_client.api.assistance_requests import create_assistance_request, get_assistance_request
from upr_tc_client.api.bulk import import_stakeholders
from upr_tc_client.api.consents import create_consent
from upr_tc_client.api.offers import create_offer, get_offer
from upr_tc_client.api.recommendations import create_recommendation, get_recommendation
from upr_tc_client.api.stakeholders import get_stakeholder
from upr_tc_client.api.sync import export_snapshot, list_changes
from upr_tc_client.models import (
    Activity,
    ActivityInput,
    AssistanceRequest,
    AssistanceRequestInput,
    ChangesPage,
    Consent,
    ConsentInput,
    ImportReport,
    ImportStakeholdersFormat,
    Offer,
    OfferInput,
    Problem,
    Recommendation,
    RecommendationInput,
    RegionCode,
    SdgGoalCode,
    SdgTargetCode,
    SnapshotLineActivity,
    SnapshotLineAssistanceRequest,
    SnapshotLineConsent,
    SnapshotLineOffer,
    SnapshotLineRecommendation,
    SnapshotLineStakeholder,
    Stakeholder,
)
from upr_tc_client.types import UNSET, File, Unset

# Each kind of item the snapshot and the feed carry: its line's model and its data's.
KINDS = {
    "recommendation": (SnapshotLineRecommendation, Recommendation),
    "stakeholder": (SnapshotLineStakeholder, Stakeholder),
    "activity": (SnapshotLineActivity, Activity),
    "consent": (SnapshotLineConsent, Consent),
    "assistance_request": (SnapshotLineAssistanceRequest, AssistanceRequest),
    "offer": (SnapshotLineOffer, Offer),
}

# The fields answers leave out when they say nothing (the contract leaves them optional).
LEFT_OUT = {"assistance_request", "offer", "paragraph", "sdg_goals", "themes_original",
            "affected_persons_original", "sources", "granted_content"}


def parsed(response: Any, model: type, what: str) -> Any:
    if not isinstance(response.parsed, model):
        raise CheckFailed(
            f"{what}: {response.status_code}, parsed as {type(response.parsed).__name__}, "
            f"not {model.__name__}: {response.content[:500]!r}"
        )
    return response.parsed


def upload(client: AuthenticatedClient, body: bytes, fmt: Any, what: str) -> ImportReport:
    response = import_stakeholders.sync_detailed(
        client=client, body=File(payload=io.BytesIO(body), file_name=what), format_=fmt
    )
    return parsed(response, ImportReport, f"import_stakeholders ({what})")


def every_field_sent(model: Any, what: str) -> None:
    """No field of `model` is Unset, but those answers leave out when they say nothing. (Only
    the item's own fields: the objects in it that requests take too, such as a multilingual
    text, keep their optional fields.)"""
    for field in attrs.fields(type(model)):
        if isinstance(getattr(model, field.name), Unset) and field.name not in LEFT_OUT:
            raise CheckFailed(f"{what}.{field.name} is Unset: the answer left out a field it always sends")


def typed_data(item: Any, what: str) -> None:
    """`item` (a snapshot's line, a feed's change) holds its kind's model as `data`."""
    model = KINDS[item.type_][1]
    if not isinstance(item.data, model):
        raise CheckFailed(
            f"{what} of type {item.type_}: data parsed as {type(item.data).__name__}, not "
            f"{model.__name__}: {json.dumps(item.to_dict())[:500]}")
    every_field_sent(item.data, f"{what}.data")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--upr-tc", required=True, help="the service's binary, for tokens")
    args = parser.parse_args()
    admin = AuthenticatedClient(base_url=args.base_url.rstrip("/"), token=mint(args.upr_tc, "admin", "typed-client"))
    run = secrets.token_hex(4)
    try:
        # Codes that are numbers are named by their code (`x-enum-varnames`), not their place.
        named = [(SdgGoalCode.GOAL_16, "16"), (SdgTargetCode.TARGET_16_3, "16.3"),
                 (RegionCode.M49_019, "019")]
        for member, code in named:
            if member.value != code:
                raise CheckFailed(f"{member!r} is not the code {code}")
        csv = (
            "kind,country,name__en,themes\n"
            f"civil_society_organization,KEN,Typed client CSV {run},womens_rights\n"
            f"nhri,UGA,Typed client NHRI {run},\n"
        ).encode()
        report = upload(admin, csv, ImportStakeholdersFormat.CSV, "stakeholders.csv")
        if report.created != 2 or report.rejected != 0:
            raise CheckFailed(f"the CSV upload: {report.to_dict()}")
        again = upload(admin, csv, ImportStakeholdersFormat.CSV, "stakeholders.csv")
        if again.created != 0 or again.unchanged != 2:
            raise CheckFailed(f"the same CSV again: {again.to_dict()}")
        ndjson = json.dumps({
            "kind": "academia", "country": "KEN", "name": {"fr": f"Université {run}"},
        }).encode() + b"\n"
        report = upload(admin, ndjson, ImportStakeholdersFormat.NDJSON, "stakeholders.ndjson")
        if report.created != 1:
            raise CheckFailed(f"the NDJSON upload: {report.to_dict()}")
        print("import_stakeholders: CSV and NDJSON files uploaded, their reports parsed")

        snapshot = export_snapshot.sync_detailed(client=admin)
        if not isinstance(snapshot.parsed, File):
            raise CheckFailed(f"export_snapshot: parsed as {type(snapshot.parsed).__name__}, not a File")
        lines = []
        for raw in snapshot.parsed.payload.read().splitlines():
            if raw.strip():
                line = json.loads(raw)
                lines.append(KINDS[line["type"]][0].from_dict(line))
                typed_data(lines[-1], "a snapshot's line")
        org = next(
            (line for line in lines
             if line.type_ == "stakeholder" and f"Typed client CSV {run}" in json.dumps(line.to_dict())),
            None,
        )
        if org is None:
            raise CheckFailed(f"the snapshot's {len(lines)} lines do not hold the stakeholder uploaded")
        print(f"export_snapshot: a file of {len(lines)} lines, each parsed by its type, its data typed")

        rec = parsed(create_recommendation.sync_detailed(client=admin, body=RecommendationInput.from_dict({
            "state_under_review": "KEN", "session": 35, "text": {"en": f"Typed client {run}."},
        })), Recommendation, "create_recommendation")
        activity = parsed(create_activity.sync_detailed(client=admin, body=ActivityInput.from_dict({
            "submitter": org.id, "states_concerned": ["KEN"], "title": {"en": f"Typed {run}"},
            "status": "pipeline", "publication": "submitted",
        })), Activity, "create_activity")
        offer = parsed(create_offer.sync_detailed(client=admin, body=OfferInput.from_dict({
            "stakeholder": org.id, "description": {"en": f"Typed offer {run}"},
        })), Offer, "create_offer")
        request = parsed(create_assistance_request.sync_detailed(
            client=admin, body=AssistanceRequestInput.from_dict({
                "state": "KEN", "reference": f"Typed {run}", "description": {"en": f"Typed need {run}"},
            })), AssistanceRequest, "create_assistance_request")
        reads = {
            "recommendation": get_recommendation.sync_detailed(client=admin, id=rec.id),
            "stakeholder": get_stakeholder.sync_detailed(client=admin, id=org.id),
            "activity": get_activity.sync_detailed(client=admin, id=activity.id),
            "offer": get_offer.sync_detailed(client=admin, id=offer.id),
            "assistance request": get_assistance_request.sync_detailed(client=admin, id=request.id),
        }
        for what, response in reads.items():
            if response.status_code != 200 or isinstance(response.parsed, Problem):
                raise CheckFailed(f"get {what}: {response.status_code} {response.content[:300]!r}")
            every_field_sent(response.parsed, what)
        print("get_*: every field an answer always sends reaches the models (none Unset)")

        # Kenya consents to the organisation's submissions: a consent on the feed, and the
        # activity public.
        parsed(create_consent.sync_detailed(client=admin, body=ConsentInput.from_dict({
            "state": "KEN", "decision": "granted", "scope": "submitter", "stakeholder_id": org.id,
            "reference": f"Note verbale {run}",
        })), Consent, "create_consent")

        # The feed from its start, as admin (every change, the whole items) and as anyone (the
        # public representations): every kind, upserts and deletes.
        anonymous = Client(base_url=args.base_url.rstrip("/"))
        for who, client in (("admin", admin), ("anonymous", anonymous)):
            seen: dict[str, int] = {}
            after: Any = UNSET
            while True:
                page = parsed(list_changes.sync_detailed(client=client, limit=1000, after=after),
                              ChangesPage, f"list_changes as {who}")
                for item in page.items:
                    if item.data is not None:
                        typed_data(item, f"a change as {who}")
                    elif item.op.value != "delete":
                        raise CheckFailed(f"an {item.op.value} without data: {item.to_dict()}")
                    seen[item.type_.value] = seen.get(item.type_.value, 0) + 1
                if not page.has_more:
                    break
                after = page.next_cursor
            missing = set(KINDS) - set(seen)
            if missing:
                raise CheckFailed(f"the feed as {who} held no change of {sorted(missing)}: {seen}")
            print(f"list_changes as {who}: {sum(seen.values())} changes, each typed by its kind "
                  f"({seen})")
    except CheckFailed as e:
        print(f"FAILED: {e!r}", file=sys.stderr)
        return 1
    print("the generated client uploads in bulk and reads typed answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
