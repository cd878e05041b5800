#!/usr/bin/env python3
"""A partner database's sync with the UPR technical-cooperation repository, through the Python
client generated from the service's contract (openapi/openapi.json). docs/sync.md explains it.

The first sync has two steps, and a third keeps the copy current:

1. **Snapshot.** `GET /api/v1/export` (operation `export_snapshot`) streams every public item as
   NDJSON lines `{"type", "id", "data"}`, all read from one consistent snapshot. Its header
   `X-Changes-Cursor` is the change feed's position at that snapshot.
2. **Catch up.** `GET /api/v1/changes?after=CURSOR` (operation `list_changes`) from that cursor,
   page after page, always resuming from the page's `next_cursor`, until `has_more` is false.
   Each change is applied to the copy, keyed by (type, id): an `upsert` puts the item's public
   representation (`data`) there, a `delete` removes the item, because it was deleted or is no
   longer public (a State withdrew its consent, a submission was withdrawn).
3. **Follow** (optional, `--follow`): the same request with `wait=30` is held open by the service
   until a change arrives (within a tenth of a second of its commit) or 30 s pass, so the copy
   stays current without polling hard.

Nothing is missed or seen twice between the snapshot and the feed, nor between two pages, as long
as the next request starts from the last `next_cursor`. Here the copy lives in memory; with
`--state FILE` it is saved together with its cursor after every page, and the next run resumes
from that cursor instead of loading a snapshot again. A real partner database does the same in
one transaction: apply a page, store its `next_cursor`, commit.

Every read is retried on network errors, on `429 Too Many Requests` (after the `Retry-After`
seconds the service asks for) and on 502/503/504: reads are safe to repeat.

Generate the client, then run this program (from the repository's root):

    openapi-python-client generate --path openapi/openapi.json --meta none \\
        --config examples/sync/openapi-python-client.yaml --output-path sdk/python/upr_tc_client
    PYTHONPATH=sdk/python python3 examples/sync/sync.py http://127.0.0.1:8080
    PYTHONPATH=sdk/python python3 examples/sync/sync.py http://127.0.0.1:8080 \\
        --token "$SYNC_TOKEN" --state copy.json --follow

The generated client needs `httpx` and `attrs` (both installed with openapi-python-client).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx

try:
    from upr_tc_client import AuthenticatedClient, Client
    from upr_tc_client.api.sync import export_snapshot, list_changes
    from upr_tc_client.models import (
        ChangesPage,
        FeedItemActivity,
        FeedItemAssistanceRequest,
        FeedItemConsent,
        FeedItemOffer,
        FeedItemRecommendation,
        FeedItemStakeholder,
        Op,
    )
    from upr_tc_client.types import UNSET, Response
except ImportError as error:  # pragma: no cover - a hint for whoever runs it without the client
    sys.exit(
        f"cannot import the generated client ({error}): generate it with openapi-python-client "
        "and put its folder on PYTHONPATH (see this file's docstring or docs/sync.md)"
    )

ApiClient = AuthenticatedClient | Client
Key = tuple[str, str]

# The longest `wait` the service accepts, in seconds.
MAX_WAIT = 30
# Changes per page: the service takes 1 to 1000.
PAGE_SIZE = 500
# Statuses worth retrying a read after: rate limited, or a gateway or instance unavailable.
RETRY_STATUSES = {429, 502, 503, 504}
# Problems of those statuses not worth retrying as they are: a ranked read given up past its
# time limit would take as long again.
FINAL_CODES = {"too_slow"}


class SyncError(Exception):
    """The service refused a request, or kept failing after the retries."""


def make_client(base_url: str, token: str | None = None, *, timeout: float = 60.0) -> ApiClient:
    """A generated client for `base_url`; authenticated when a token is given (a `sync` token
    for a partner database: it sees the public data, with higher rate limits than anonymous
    callers). Its read timeout leaves room for the longest `wait`."""
    httpx_timeout = httpx.Timeout(timeout + MAX_WAIT, connect=10.0)
    if token:
        return AuthenticatedClient(base_url=base_url, token=token, timeout=httpx_timeout)
    return Client(base_url=base_url, timeout=httpx_timeout)


def problem_text(response: Response[Any]) -> str:
    """The RFC 9457 problem document of a refused request, in one line."""
    try:
        problem = json.loads(response.content)
        return f"{problem.get('status')} {problem.get('code')}: {problem.get('detail') or problem.get('title')}"
    except (ValueError, AttributeError):
        return f"{int(response.status_code)} {response.content[:200]!r}"


def problem_code(response: Response[Any]) -> str | None:
    """The `code` of a refused request's problem document, if it has one."""
    try:
        code = json.loads(response.content).get("code")
        return code if isinstance(code, str) else None
    except (ValueError, AttributeError):
        return None


class CursorExpired(SyncError):
    """The copy's cursor is older than the feed keeps (410 `cursor_expired`): the copy must be
    loaded again from a fresh snapshot."""


def call(operation: Any, *, attempts: int = 6, **kwargs: Any) -> Response[Any]:
    """Calls a generated read operation's `sync_detailed` and returns its 2xx response,
    retrying what is worth retrying; raises `SyncError` otherwise. (For reads: a write is safe
    to retry only with an `Idempotency-Key`, see docs/sync.md.)"""
    name = operation.__name__.rsplit(".", 1)[-1]
    delay = 1.0
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        try:
            response = operation.sync_detailed(**kwargs)
        except httpx.TransportError as error:  # connection refused or reset, timeout, ...
            if last:
                raise SyncError(f"{name}: {error!r}") from error
            print(f"  {name}: {error!r}; retrying in {delay:.0f} s", file=sys.stderr)
            time.sleep(delay)
            delay = min(delay * 2, 60)
            continue
        status = int(response.status_code)
        if 200 <= status < 300:
            return response
        if status == 410:
            raise CursorExpired(f"{name}: {problem_text(response)}")
        if status not in RETRY_STATUSES or last or problem_code(response) in FINAL_CODES:
            raise SyncError(f"{name}: {problem_text(response)}")
        retry_after = response.headers.get("retry-after", "")
        pause = float(retry_after) if retry_after.isdigit() else delay
        print(f"  {name}: {status}; retrying in {pause:.0f} s", file=sys.stderr)
        time.sleep(pause)
        delay = min(delay * 2, 60)
    raise AssertionError("unreachable")


# A change of the feed, typed by its kind: its `data` is an `Activity`, a `Consent`, … (or `None`
# for a delete).
FeedItem = (FeedItemActivity | FeedItemAssistanceRequest | FeedItemConsent | FeedItemOffer
            | FeedItemRecommendation | FeedItemStakeholder)


@dataclass
class Replica:
    """The partner's copy: every public item by (type, id), and the feed cursor it is at."""

    cursor: str
    items: dict[Key, Any] = field(default_factory=dict)
    # The kinds it copies (comma-separated), or None for all: a cursor is only good for these.
    types: str | None = None
    # What the last catch-up applied, by (op, type): for reports.
    applied: Counter[tuple[str, str]] = field(default_factory=Counter)

    def apply(self, change: FeedItem, served: Any) -> None:
        """Applies `change`; `served` is its `data` as the service sent it (JSON), which the copy
        keeps as it is (`change.data` is the same, as the model of its kind)."""
        key = (change.type_, change.id)
        if change.op == Op.UPSERT:
            self.items[key] = served
        else:  # Op.DELETE: deleted, or no longer public
            self.items.pop(key, None)
        self.applied[(change.op.value, change.type_)] += 1

    def save(self, path: str) -> None:
        """Writes the copy and its cursor to `path` at once (a new file renamed over the old),
        so that a crash never leaves a copy with a cursor that does not match it."""
        lines = [{"type": t, "id": i, "data": d} for (t, i), d in sorted(self.items.items())]
        folder = os.path.dirname(os.path.abspath(path))
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, encoding="utf-8") as out:
            json.dump({"cursor": self.cursor, "types": self.types, "items": lines}, out, ensure_ascii=False)
        os.replace(out.name, path)

    @classmethod
    def load(cls, path: str) -> Replica:
        with open(path, encoding="utf-8") as saved:
            state = json.load(saved)
        items = {(line["type"], line["id"]): line["data"] for line in state["items"]}
        return cls(cursor=state["cursor"], items=items, types=state.get("types"))


def load_snapshot(client: ApiClient, types: str | None = None) -> Replica:
    """Step 1: every public item (of `types`, comma-separated, or all) and the feed cursor of
    the snapshot they were read from.

    The generated client has no model for an NDJSON body (`parsed` is None): the raw body is
    read here, one JSON object a line. It holds the whole answer in memory; for a very large
    repository stream it instead, e.g. with
    `client.get_httpx_client().stream("GET", "/api/v1/export")` and `iter_lines()`."""
    response = call(export_snapshot, client=client, types=types or UNSET)
    cursor = response.headers.get("x-changes-cursor")
    if cursor is None:
        raise SyncError("the snapshot has no X-Changes-Cursor header")
    replica = Replica(cursor=cursor, types=types)
    for number, line in enumerate(response.content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            replica.items[(item["type"], item["id"])] = item["data"]
        except (ValueError, KeyError, TypeError) as error:
            raise SyncError(f"snapshot line {number} is not a snapshot item: {error}") from error
    return replica


def catch_up(
    client: ApiClient,
    replica: Replica,
    *,
    types: str | None = None,
    wait: int = 0,
    on_page: Callable[[Replica, ChangesPage], None] | None = None,
) -> int:
    """Step 2: applies every change after `replica.cursor` until the feed has nothing more, and
    returns how many it applied. With `wait`, a request that finds nothing new is held up to
    that many seconds until a change arrives (step 3). `on_page` runs after each page is applied
    (to save the copy, say)."""
    replica.applied.clear()
    count = 0
    while True:
        response = call(
            list_changes,
            client=client,
            after=replica.cursor,
            limit=PAGE_SIZE,
            types=types or UNSET,
            wait=wait or UNSET,
        )
        page = response.parsed
        if not isinstance(page, ChangesPage):
            raise SyncError(f"list_changes answered {int(response.status_code)} without a page")
        # The copy keeps each item's JSON as served; the models are for reading its fields.
        served = json.loads(response.content)["items"]
        for change, raw in zip(page.items, served, strict=True):
            replica.apply(change, raw["data"])
        count += len(page.items)
        # Always resume from next_cursor, also after an empty page: it may have moved on.
        replica.cursor = page.next_cursor
        if on_page is not None:
            on_page(replica, page)
        if not page.has_more:
            return count


def first_sync(client: ApiClient, types: str | None = None) -> Replica:
    """Steps 1 and 2: a snapshot, then the feed from the snapshot's cursor."""
    replica = load_snapshot(client, types)
    catch_up(client, replica, types=types)
    return replica


def summary(replica: Replica) -> str:
    kinds = Counter(kind for kind, _ in replica.items)
    listed = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "nothing"
    return f"{len(replica.items)} items ({listed}) at cursor {replica.cursor}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="the service, e.g. http://127.0.0.1:8080")
    parser.add_argument("--token", default=os.environ.get("UPR_TC_TOKEN"),
                        help="a bearer token (a `sync` token for a partner); env UPR_TC_TOKEN")
    parser.add_argument("--types", help="only these kinds, e.g. activity,consent")
    parser.add_argument("--state", metavar="FILE",
                        help="keep the copy and its cursor in FILE and resume from it next time")
    parser.add_argument("--follow", action="store_true",
                        help="after catching up, keep following the feed with wait=30")
    parser.add_argument("--follow-for", type=float, metavar="SECONDS",
                        help="with --follow, stop after this long (default: until interrupted)")
    parser.add_argument("--dump", metavar="FILE",
                        help="write the copy as NDJSON lines {type, id, data} to FILE at the end")
    args = parser.parse_args(argv)

    client = make_client(args.base_url, args.token)
    save = (lambda replica, _page: replica.save(args.state)) if args.state else None

    started = time.monotonic()
    if args.state and os.path.exists(args.state):
        replica = Replica.load(args.state)
        if replica.types != args.types:
            raise SyncError(f"{args.state} holds a copy of types {replica.types or 'all'}, "
                            f"not {args.types or 'all'}: use another file")
        print(f"resuming from {args.state}: {summary(replica)}")
    else:
        replica = load_snapshot(client, args.types)
        print(f"snapshot: {summary(replica)}")
        if args.state:
            replica.save(args.state)
    try:
        applied = catch_up(client, replica, types=args.types, on_page=save)
    except CursorExpired:
        # Away longer than the feed keeps its changes: start again from a snapshot.
        print("the saved cursor has expired: loading a fresh snapshot")
        replica = load_snapshot(client, args.types)
        if args.state:
            replica.save(args.state)
        applied = catch_up(client, replica, types=args.types, on_page=save)
    print(f"caught up: {applied} changes applied; {summary(replica)} "
          f"in {time.monotonic() - started:.1f} s")

    if args.follow:
        deadline = None if args.follow_for is None else time.monotonic() + args.follow_for
        try:
            while deadline is None or time.monotonic() < deadline:
                wait = MAX_WAIT
                if deadline is not None:
                    wait = max(1, min(MAX_WAIT, int(deadline - time.monotonic())))
                if catch_up(client, replica, types=args.types, wait=wait, on_page=save):
                    done = ", ".join(f"{n} {op} {kind}" for (op, kind), n in sorted(replica.applied.items()))
                    print(f"{time.strftime('%H:%M:%S')} {done}; cursor {replica.cursor}")
        except KeyboardInterrupt:
            print("stopped")
        print(f"followed: {summary(replica)}")

    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as out:
            for (kind, id_), data in sorted(replica.items.items()):
                out.write(json.dumps({"type": kind, "id": id_, "data": data}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SyncError as error:
        sys.exit(f"sync failed: {error}")
