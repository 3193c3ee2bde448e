import { inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import type { Database } from "../../src/db/client.ts";
import { queryRows } from "../../src/db/client.ts";
import { remoteActors } from "../../src/db/schema/index.ts";
import { isDomainBlocked } from "../../src/peers/blocks.ts";
import {
  findRemoteActorByHandle,
  isStale,
  markActorGone,
  type RemoteActorData,
  upsertRemoteActor,
} from "../../src/social/remote-actors.ts";
import { markRemoteStatusDeleted, upsertRemoteStatus } from "../../src/social/remote-statuses.ts";
import { createTestDatabase } from "../helpers/db.ts";

let database: Database;
const clock = fixedClock(new Date("2026-12-05T10:00:00Z"));

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const bob = (over: Partial<RemoteActorData> = {}): RemoteActorData => ({
  uri: "https://social.example/users/bob",
  type: "Person",
  handle: "bob@social.example",
  name: "Bob <b>B</b>",
  summaryHtml: '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:x">j</a></p>',
  url: "https://social.example/@bob",
  iconUrl: "javascript:alert(1)",
  inboxUrl: "https://social.example/users/bob/inbox",
  sharedInboxUrl: "https://social.example/inbox",
  followersUrl: null,
  paymentUrl: null,
  ...over,
});

describe("remote actors", () => {
  it("are stored sanitised, updated in place, found by handle, and marked gone", async () => {
    const db = database.db;
    const first = await upsertRemoteActor(db, clock, bob());
    expect(first.host).toBe("social.example");
    expect(first.name).toBe("Bob B");
    expect(first.summaryHtml).not.toMatch(/script|onclick|javascript/);
    expect(first.iconUrl).toBeNull();
    const again = await upsertRemoteActor(db, clock, bob({ name: "Robert" }));
    expect(again.id).toBe(first.id);
    expect(again.name).toBe("Robert");
    expect((await findRemoteActorByHandle(db, "@BOB@social.example"))?.id).toBe(first.id);
    // The handle moves with an account that moved.
    const moved = await upsertRemoteActor(
      db,
      clock,
      bob({ uri: "https://social.example/users/bob2" }),
    );
    expect((await findRemoteActorByHandle(db, "bob@social.example"))?.id).toBe(moved.id);
    await markActorGone(db, clock, first.uri);
    const [gone] = await queryRows<{ gone: boolean }>(
      db,
      sql`select gone_at is not null as gone from remote_actors where uri = ${first.uri}`,
    );
    expect(gone?.gone).toBe(true);
    expect(isStale(first, new Date("2026-12-06T10:00:01Z"))).toBe(true);
    expect(isStale(first, new Date("2026-12-06T09:59:59Z"))).toBe(false);
  });
});

describe("remote actors at once", () => {
  const lower = (h: string | null) => h?.toLowerCase() ?? null;
  async function handlesOf(uris: string[]) {
    const rows = await database.db
      .select({ uri: remoteActors.uri, handle: remoteActors.handle })
      .from(remoteActors)
      .where(inArray(remoteActors.uri, uris));
    return Object.fromEntries(rows.map((r) => [r.uri, lower(r.handle)]));
  }

  it("store a new actor delivered twice at once as one row", async () => {
    const data = bob({ uri: "https://race.example/users/new", handle: "new@race.example" });
    const rows = await Promise.all(
      Array.from({ length: 8 }, () => upsertRemoteActor(database.db, clock, data)),
    );
    expect(new Set(rows.map((r) => r.id)).size).toBe(1);
    expect(await handlesOf([data.uri])).toEqual({ [data.uri]: "new@race.example" });
  });

  it("never fail when a renamed handle is claimed by two actors at once", async () => {
    const old = bob({ uri: "https://race.example/users/old", handle: "Carol@race.example" });
    const fresh = bob({ uri: "https://race.example/users/carol", handle: "carol@race.example" });
    await upsertRemoteActor(database.db, clock, old);
    for (let round = 0; round < 5; round++) {
      // The new account and a stale copy of the old one both claim the handle at once.
      const results = await Promise.allSettled([
        upsertRemoteActor(database.db, clock, fresh),
        upsertRemoteActor(database.db, clock, old),
        upsertRemoteActor(database.db, clock, fresh),
        upsertRemoteActor(database.db, clock, { ...old, handle: "CAROL@race.example" }),
      ]);
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
      const handles = await handlesOf([old.uri, fresh.uri]);
      // One of them holds it, never both, and neither lost its row.
      expect(Object.keys(handles).sort()).toEqual([old.uri, fresh.uri].sort());
      expect(Object.values(handles).filter((h) => h === "carol@race.example")).toHaveLength(1);
    }
    // Told once more, alone, the new account keeps the handle.
    await upsertRemoteActor(database.db, clock, fresh);
    expect(await handlesOf([old.uri, fresh.uri])).toEqual({
      [old.uri]: null,
      [fresh.uri]: "carol@race.example",
    });
  });
});

describe("remote statuses", () => {
  it("link replies either way round, refuse another author, and keep deleted rows", async () => {
    const db = database.db;
    const author = await upsertRemoteActor(db, clock, bob({ uri: "https://n.example/users/a" }));
    const other = await upsertRemoteActor(
      db,
      clock,
      bob({ uri: "https://n.example/users/b", handle: null }),
    );
    const base = {
      url: null,
      remoteActorId: author.id,
      summary: "",
      visibility: "public" as const,
      publishedAt: new Date("2026-12-01T00:00:00Z"),
      editedAt: null,
    };
    const reply = await upsertRemoteStatus(db, clock, {
      ...base,
      uri: "https://n.example/notes/2",
      contentHtml: "<p>reply</p>",
      inReplyToUri: "https://n.example/notes/1",
    });
    expect(reply?.inReplyToId).toBeNull();
    const parent = await upsertRemoteStatus(db, clock, {
      ...base,
      uri: "https://n.example/notes/1",
      contentHtml: "<p>parent<img src=x onerror=y></p>",
      inReplyToUri: null,
      publishedAt: new Date("2026-11-30T00:00:00Z"),
    });
    expect(parent?.contentHtml).toBe("<p>parent</p>");
    expect(parent!.id < reply!.id).toBe(true);
    const [linked] = await queryRows<{ parent: string }>(
      db,
      sql`select in_reply_to_id::text as parent from statuses where uri = 'https://n.example/notes/2'`,
    );
    expect(linked?.parent).toBe(parent!.id.toString());
    const hijack = await upsertRemoteStatus(db, clock, {
      ...base,
      remoteActorId: other.id,
      uri: "https://n.example/notes/1",
      contentHtml: "<p>mine now</p>",
      inReplyToUri: null,
    });
    expect(hijack).toBeNull();
    expect(await markRemoteStatusDeleted(db, clock, "https://n.example/notes/1", other.id)).toBe(
      false,
    );
    expect(await markRemoteStatusDeleted(db, clock, "https://n.example/notes/1", author.id)).toBe(
      true,
    );
    const [row] = await queryRows<{ content_html: string; deleted: boolean }>(
      db,
      sql`select content_html, deleted_at is not null as deleted from statuses where uri = 'https://n.example/notes/1'`,
    );
    expect(row).toEqual({ content_html: "", deleted: true });
  });
});

describe("blocked domains", () => {
  it("block a host, its subdomains and every port, and nothing else", async () => {
    const db = database.db;
    await db.execute(
      sql`insert into blocked_domains (host, created_at) values ('bad.example', now()), ('[::1]:9', now())`,
    );
    expect(await isDomainBlocked(db, "bad.example")).toBe(true);
    expect(await isDomainBlocked(db, "a.b.bad.example:8443")).toBe(true);
    expect(await isDomainBlocked(db, "notbad.example")).toBe(false);
    expect(await isDomainBlocked(db, "example")).toBe(false);
    expect(await isDomainBlocked(db, "[::1]:8080")).toBe(true);
  });
});
