#!/usr/bin/env python3
"""CI's end-to-end check of a partner's sync (examples/sync/sync.py), through the Python client
generated from the contract, against a running service.

    PYTHONPATH=SDK_FOLDER python3 examples/sync/check.py --base-url http://127.0.0.1:PORT \\
        --upr-tc target/debug/upr-tc

It mints its tokens with `upr-tc token` (so the service and the binary must share
UPR_TC_JWT_SECRET), then:

1. seeds data, all through the generated client: stakeholders and recommendations (`admin`); an
   activity submitted by a State for itself (public at once) and one submitted by a contributor
   (awaiting the State's consent, so not public); a consent record about one submitter (public);
2. runs the first sync (snapshot, then the feed) with a `sync` token, and checks the copy;
3. changes things — a new recommendation (sent twice with one `Idempotency-Key`: the copy must
   hold it once), the State's consent `granted` for the awaiting activity (it becomes public), then `withdrawn` (the feed must carry a `delete`), updates
   (merge patches) and deletions — catching up after each, and checks the copy again;
4. follows with `wait` (long polling): a change made while a request waits reaches it at once.

"Checks the copy" means: every public item read through the generated client's list operations
(`list_recommendations`, `list_stakeholders`, `list_activities`, `list_consents`, every page, as
an anonymous caller) equals the copy's item of the same type and id, as JSON, exactly, and the
copy has nothing else. It works on a database that already holds data (CI runs it after the
fuzzer, on the fuzzer's database): the names it writes carry a run id, and every expectation is
about the items it made itself. Exits 1 with a diff of what differs.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sync  # noqa: E402  (the example this checks; it imports the generated client)
from upr_tc_client import AuthenticatedClient, Client  # noqa: E402
from upr_tc_client.api.activities import create_activity, list_activities  # noqa: E402
from upr_tc_client.api.assistance_requests import list_assistance_requests  # noqa: E402
from upr_tc_client.api.consents import create_consent, list_consents  # noqa: E402
from upr_tc_client.api.offers import list_offers  # noqa: E402
from upr_tc_client.api.recommendations import (  # noqa: E402
    create_recommendation,
    delete_recommendation,
    list_recommendations,
    patch_recommendation,
)
from upr_tc_client.api.stakeholders import (  # noqa: E402
    create_stakeholder,
    delete_stakeholder,
    list_stakeholders,
    patch_stakeholder,
)
from upr_tc_client.models import (  # noqa: E402
    ActivityInput,
    ActivityPage,
    AssistanceRequestPage,
    ConsentInput,
    ConsentPage,
    OfferPage,
    RecommendationInput,
    RecommendationPage,
    RecommendationPatch,
    StakeholderInput,
    StakeholderPage,
    StakeholderPatch,
)

# The public lists the copy is compared with, by feed type: the operation and its page model.
LISTS = {
    "recommendation": (list_recommendations, RecommendationPage),
    "stakeholder": (list_stakeholders, StakeholderPage),
    "activity": (list_activities, ActivityPage),
    "consent": (list_consents, ConsentPage),
    "assistance_request": (list_assistance_requests, AssistanceRequestPage),
    "offer": (list_offers, OfferPage),
}
STATE = "KEN"  # the State whose activities and consent the check plays with
MAX_DIFFS = 20


class CheckFailed(Exception):
    pass


def step(title: str) -> None:
    print(f"\n-- {title}", flush=True)


def mint(upr_tc: str, role: str, *extra: str) -> str:
    """A token from the same binary as the server (same UPR_TC_JWT_SECRET)."""
    out = subprocess.run(
        [upr_tc, "token", "--role", role, "--subject", f"sync-check-{role}", "--ttl", "1h", *extra],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def created(operation: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Calls a generated write operation, expects a 2xx, returns the JSON answer."""
    response = operation.sync_detailed(*args, **kwargs)
    status = int(response.status_code)
    if not 200 <= status < 300:
        name = operation.__name__.rsplit(".", 1)[-1]
        raise CheckFailed(f"{name} answered {sync.problem_text(response)}")
    return json.loads(response.content) if response.content else {}


def public_data(anonymous: Client) -> dict[sync.Key, Any]:
    """Every public item, through the generated list operations, every page, as raw JSON (the
    generated page model must also accept each page)."""
    items: dict[sync.Key, Any] = {}
    for kind, (operation, page_model) in LISTS.items():
        cursor: str | None = None
        while True:
            response = sync.call(operation, client=anonymous, limit=200,
                                 cursor=cursor if cursor is not None else sync.UNSET)
            if not isinstance(response.parsed, page_model):
                raise CheckFailed(f"the generated client did not read a {kind} page: {response.parsed!r}")
            page = json.loads(response.content)
            for item in page["items"]:
                key = (kind, item["id"])
                if key in items:
                    raise CheckFailed(f"{kind} {item['id']} listed twice")
                items[key] = item
            cursor = page["next_cursor"]
            if cursor is None:
                break
    return items


def compare(replica: sync.Replica, anonymous: Client) -> int:
    """Fails with a diff unless the copy equals the public data; returns the number of items."""
    expected = public_data(anonymous)
    unknown = sorted({kind for kind, _ in replica.items} - set(LISTS))
    if unknown:
        raise CheckFailed(f"the feed carries types this check cannot list: {unknown} (add them to LISTS)")
    problems: list[str] = []
    for key in sorted(expected.keys() | replica.items.keys()):
        kind, id_ = key
        if key not in replica.items:
            problems.append(f"missing from the copy: {kind} {id_}")
        elif key not in expected:
            problems.append(f"in the copy but not public: {kind} {id_}")
        elif replica.items[key] != expected[key]:
            diff = difflib.unified_diff(
                json.dumps(expected[key], indent=1, sort_keys=True, ensure_ascii=False).splitlines(),
                json.dumps(replica.items[key], indent=1, sort_keys=True, ensure_ascii=False).splitlines(),
                fromfile=f"public list: {kind} {id_}", tofile=f"copy: {kind} {id_}", lineterm="",
            )
            problems.append("\n".join(diff))
    if problems:
        shown = "\n".join(problems[:MAX_DIFFS])
        more = f"\n… and {len(problems) - MAX_DIFFS} more" if len(problems) > MAX_DIFFS else ""
        raise CheckFailed(f"the copy differs from the public data in {len(problems)} items:\n{shown}{more}")
    return len(expected)


def catch_up_logged(partner: AuthenticatedClient, replica: sync.Replica,
                    seen: list[tuple[str, str, str, str]]) -> int:
    """sync.catch_up, remembering every change it applies (cursor, op, type, id)."""

    def remember(_replica: sync.Replica, page: Any) -> None:
        seen.extend((c.cursor, c.op.value, c.type_, c.id) for c in page.items)

    return sync.catch_up(partner, replica, on_page=remember)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    print(f"   ok: {message}")


def run(base_url: str, upr_tc: str) -> None:
    run_id = secrets.token_hex(4)
    admin = AuthenticatedClient(base_url=base_url, token=mint(upr_tc, "admin"))
    state = AuthenticatedClient(base_url=base_url, token=mint(upr_tc, "state", "--state", STATE))
    partner = sync.make_client(base_url, mint(upr_tc, "sync"))
    anonymous = sync.make_client(base_url)

    step(f"seeding (run {run_id}) through the generated client")
    ngo = created(create_stakeholder, client=admin, body=StakeholderInput.from_dict({
        "kind": "civil_society_organization", "country": STATE,
        "name": {"en": f"Sync check rights network {run_id}", "fr": f"Réseau de vérification {run_id}"},
        "website": "https://example.org/sync-check",
        # private: the public representation (and so the feed) must leave it out
        "contact": {"name": "Focal point", "email": "focal.point@example.org"},
        "languages": ["en", "sw"],
    }))
    agency = created(create_stakeholder, client=admin, body=StakeholderInput.from_dict({
        "kind": "un_entity", "name": {"en": f"Sync check agency {run_id}"}, "regions": ["014"],
    }))
    institute = created(create_stakeholder, client=admin, body=StakeholderInput.from_dict({
        "kind": "academia", "name": {"en": f"Sync check institute {run_id}"},
    }))
    recs = [
        created(create_recommendation, client=admin, body=RecommendationInput.from_dict({
            "state_under_review": review_state, "session": 35, "review_year": 2020,
            "recommending_states": ["AUT", "BRA"], "response": "supported",
            "text": {"en": f"Strengthen the national mechanism for reporting and follow-up ({run_id}, {n})",
                     "es": f"Fortalecer el mecanismo nacional ({run_id}, {n})"},
            "sdg_targets": ["16.3"],
        }))
        for n, review_state in enumerate([STATE, STATE, "UGA"], start=1)
    ]
    own = created(create_activity, client=state, body=ActivityInput.from_dict({
        "title": {"en": f"Training of the national mechanism's focal points ({run_id})"},
        "states_concerned": [STATE], "status": "implementation", "publication": "submitted",
        "recommendations": [recs[0]["id"]],
        "participants": [{"stakeholder": agency["id"], "role": "implementing"}],
        "planned_start": "2026-01-15", "planned_end": "2026-06-30",
    }))
    contributor = AuthenticatedClient(
        base_url=base_url, token=mint(upr_tc, "contributor", "--stakeholder", ngo["id"]))
    awaiting = created(create_activity, client=contributor, body=ActivityInput.from_dict({
        "title": {"en": f"Civil society shadow reporting workshop ({run_id})"},
        "states_concerned": [STATE], "status": "pipeline", "publication": "submitted",
        "recommendations": [recs[1]["id"]],
    }))
    # A public consent record (about one submitter), recorded by admin on a State's behalf; it
    # decides nothing here (the submitter has no activity concerning that State).
    decision = created(create_consent, client=admin, body=ConsentInput.from_dict({
        "state": "UGA", "decision": "refused", "scope": "submitter", "stakeholder_id": ngo["id"],
        "reference": f"Note verbale {run_id}/2026",
    }))
    print(f"   3 stakeholders, 3 recommendations, activity {own['id']} (by {STATE} itself), "
          f"activity {awaiting['id']} (by a contributor, awaiting {STATE}'s consent), "
          f"consent record {decision['id']} (about one submitter)")

    step("first sync: snapshot, then the feed from X-Changes-Cursor, with a sync token")
    started = time.monotonic()
    replica = sync.load_snapshot(partner)
    snapshot_cursor = replica.cursor
    print(f"   snapshot: {sync.summary(replica)}")
    # A write between the snapshot and the feed: the feed must bring it, once.
    created(patch_stakeholder, ngo["id"], client=admin,
            body=StakeholderPatch.from_dict({"languages": ["en", "sw", "fr"]}))
    seen: list[tuple[str, str, str, str]] = []
    applied = catch_up_logged(partner, replica, seen)
    print(f"   then {applied} changes from the feed, in {time.monotonic() - started:.2f} s")
    expect([(op, kind, id_) for _, op, kind, id_ in seen] == [("upsert", "stakeholder", ngo["id"])],
           "the feed from the snapshot's cursor brings the write made after it, and nothing else")
    n = compare(replica, anonymous)
    expect(True, f"the copy equals the {n} public items read through the list operations")
    expect(("activity", own["id"]) in replica.items, "the State's own activity is public at once")
    expect(("activity", awaiting["id"]) not in replica.items,
           "the contributor's activity awaiting consent is not in the copy")
    expect(("consent", decision["id"]) in replica.items, "the consent record about a submitter is public")
    expect(("stakeholder", ngo["id"]) in replica.items
           and replica.items[("stakeholder", ngo["id"])].get("contact") is None,
           "a stakeholder's private contact details are not in the copy")

    step("changes: a new recommendation (sent twice with one Idempotency-Key), consent granted")
    new_recommendation = RecommendationInput.from_dict({
        "state_under_review": STATE, "session": 49,
        "text": {"en": f"Adopt a national action plan on business and human rights ({run_id})"},
    })
    key = f"sync-check-{run_id}"
    fresh = created(create_recommendation, client=admin, body=new_recommendation, idempotency_key=key)
    again = created(create_recommendation, client=admin, body=new_recommendation, idempotency_key=key)
    expect(again == fresh, "a retry with the same Idempotency-Key replays the first answer")
    created(create_consent, client=state, body=ConsentInput.from_dict({
        "decision": "granted", "scope": "activity", "activity_id": awaiting["id"],
        "note": f"sync check {run_id}",
    }))
    catch_up_logged(partner, replica, seen)
    compare(replica, anonymous)
    expect(("recommendation", fresh["id"]) in replica.items, "the new recommendation reached the copy")
    expect(("activity", awaiting["id"]) in replica.items,
           "the consented activity reached the copy as an upsert")

    step("changes: consent withdrawn, updates, deletions")
    mark = len(seen)
    created(create_consent, client=state, body=ConsentInput.from_dict({
        "decision": "withdrawn", "scope": "activity", "activity_id": awaiting["id"],
        "note": f"sync check {run_id}",
    }))
    created(patch_stakeholder, agency["id"], client=admin, body=StakeholderPatch.from_dict({
        "name": {"en": f"Sync check agency {run_id}, renamed"}, "website": "https://example.org/agency",
    }))
    created(patch_recommendation, recs[0]["id"], client=admin, body=RecommendationPatch.from_dict({
        "response": "supported_in_part",
    }))
    created(delete_recommendation, recs[2]["id"], client=admin)
    created(delete_stakeholder, institute["id"], client=admin)
    catch_up_logged(partner, replica, seen)
    n = compare(replica, anonymous)
    expect(True, f"the copy equals the {n} public items again")
    latest = {(kind, id_): op for _, op, kind, id_ in seen[mark:]}
    expect(latest.get(("activity", awaiting["id"])) == "delete"
           and ("activity", awaiting["id"]) not in replica.items,
           "the withdrawal reached the copy as a delete")
    expect(latest.get(("recommendation", recs[2]["id"])) == "delete", "a deleted recommendation: a delete")
    expect(latest.get(("stakeholder", institute["id"])) == "delete", "a deleted stakeholder: a delete")
    expect(replica.items[("stakeholder", agency["id"])]["name"]["en"].endswith("renamed")
           and replica.items[("recommendation", recs[0]["id"])]["response"] == "supported_in_part",
           "the updates reached the copy")

    step("following with wait (long polling)")
    arrived: dict[str, Any] = {}

    def follower() -> None:
        try:
            arrived["count"] = sync.catch_up(partner, replica, wait=10)
        except Exception as error:  # reported by the main thread
            arrived["error"] = error
        arrived["at"] = time.monotonic()

    thread = threading.Thread(target=follower)
    thread.start()
    time.sleep(1.0)  # the request is waiting by now
    expect(thread.is_alive(), "with nothing new, the request waits")
    written = time.monotonic()
    created(patch_recommendation, fresh["id"], client=admin, body=RecommendationPatch.from_dict({
        "response": "noted",
    }))
    thread.join(timeout=30)
    if thread.is_alive() or "error" in arrived:
        raise CheckFailed(f"the waiting request did not end with the change: {arrived.get('error')!r}")
    latency = arrived["at"] - written
    expect(arrived["count"] >= 1 and latency < 5,
           f"a change made during a wait reached the follower {latency:.2f} s after it was written")
    compare(replica, anonymous)

    # Cursors are opaque (docs/decisions/0007-opaque-cursors.md): their order cannot be read from
    # them, but each change has its own, and none is the snapshot's position.
    cursors = [cursor for cursor, *_ in seen]
    expect(len(set(cursors)) == len(cursors) and snapshot_cursor not in cursors
           and all(len(c) == 22 for c in cursors),
           f"{len(cursors)} changes applied after the snapshot, none twice, each with an opaque cursor")


def main() -> int:
    parser = argparse.ArgumentParser(description="End-to-end check of examples/sync/sync.py.")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--upr-tc", required=True, help="the service's binary, to mint tokens")
    args = parser.parse_args()
    started = time.monotonic()
    try:
        run(args.base_url, args.upr_tc)
    except (CheckFailed, sync.SyncError) as error:
        print(f"\nSYNC CHECK FAILED: {error}", file=sys.stderr)
        return 1
    print(f"\nsync check passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
