// The first sync of examples/sync/sync.py in TypeScript, typed with the types openapi-typescript
// generates from openapi/openapi.json (docs/sync.md). CI generates them as `upr-tc.ts` beside a
// copy of this file and type-checks both with `tsc --noEmit`; a change of the contract that breaks
// this code breaks CI.
//
// Runs on Node.js 18 or later, Deno and Bun (it needs only `fetch`). In a web page, note that the
// service must list X-Changes-Cursor in Access-Control-Expose-Headers for the page to read it.

import type { components, operations } from "./upr-tc";

type FeedItem = components["schemas"]["FeedItem"];
type SnapshotLine = components["schemas"]["SnapshotLine"];
type ChangesQuery = NonNullable<operations["list_changes"]["parameters"]["query"]>;
type ChangesPage = operations["list_changes"]["responses"][200]["content"]["application/json"];

/** The partner's copy: each public item's representation by `${type}/${id}`, and the feed
 * cursor it is at. */
export interface Replica {
  cursor: string;
  items: Map<string, unknown>;
}

/** The copy's cursor is older than the feed keeps (410 `cursor_expired`, after a compaction of
 * the feed): the copy must be loaded again from a fresh snapshot (`resume` does). */
export class CursorExpired extends Error {}

async function get(base: string, path: string, token?: string): Promise<Response> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(new URL(path, base), { headers });
    // Rate limited or unavailable: wait as asked (or a little), then ask again. Reads are safe.
    if ([429, 502, 503, 504].includes(response.status) && attempt < 6) {
      const seconds = Number(response.headers.get("Retry-After")) || attempt;
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    if (response.status === 410) {
      throw new CursorExpired(`GET ${path}: ${await response.text()}`);
    }
    if (!response.ok) {
      throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    }
    return response;
  }
}

/** Step 1: every public item, and the feed cursor of the snapshot it was read from. */
export async function loadSnapshot(base: string, token?: string): Promise<Replica> {
  const response = await get(base, "/api/v1/export", token);
  const cursor = response.headers.get("X-Changes-Cursor");
  if (cursor === null) throw new Error("the snapshot has no X-Changes-Cursor header");
  const items = new Map<string, unknown>();
  for (const line of (await response.text()).split("\n")) {
    if (line.trim() === "") continue;
    const item = JSON.parse(line) as SnapshotLine;
    items.set(`${item.type}/${item.id}`, item.data);
  }
  return { cursor, items };
}

function apply(replica: Replica, change: FeedItem): void {
  const key = `${change.type}/${change.id}`;
  if (change.op === "upsert") replica.items.set(key, change.data);
  else replica.items.delete(key); // deleted, or no longer public
}

/** Step 2 (and 3, with `wait`): every change after `replica.cursor`, until `has_more` is false;
 * returns how many were applied. */
export async function catchUp(base: string, replica: Replica, token?: string, wait = 0): Promise<number> {
  let count = 0;
  for (;;) {
    const query: ChangesQuery = { after: replica.cursor, limit: 500 };
    if (wait > 0) query.wait = wait;
    const params = new URLSearchParams(
      Object.entries(query).map(([name, value]): [string, string] => [name, String(value)]),
    );
    const page = (await (await get(base, `/api/v1/changes?${params}`, token)).json()) as ChangesPage;
    page.items.forEach((change) => apply(replica, change));
    count += page.items.length;
    replica.cursor = page.next_cursor; // always, also after an empty page
    if (!page.has_more) return count;
  }
}

/** Steps 1 and 2. */
export async function firstSync(base: string, token?: string): Promise<Replica> {
  const replica = await loadSnapshot(base, token);
  await catchUp(base, replica, token);
  return replica;
}

/** A later sync of a kept copy: the changes since its cursor; a copy whose cursor the feed no
 * longer keeps is replaced by a fresh snapshot and the changes since it. */
export async function resume(base: string, replica: Replica, token?: string): Promise<Replica> {
  try {
    await catchUp(base, replica, token);
    return replica;
  } catch (error) {
    if (!(error instanceof CursorExpired)) throw error;
    return firstSync(base, token);
  }
}
