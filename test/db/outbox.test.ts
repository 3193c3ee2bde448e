// The transactional outbox: an enqueue commits or rolls back with the domain write around it,
// including the enqueues Fedify's ctx.sendActivity() makes on its own.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createFederation, generateCryptoKeyPair } from "@fedify/fedify";
import { Create, Note } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { DbKvStore } from "../../src/federation/kv-store.ts";
import { DbMessageQueue, TransactionScope } from "../../src/federation/message-queue.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { queueRows } from "../helpers/queue.ts";
import { until } from "../helpers/wait.ts";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.execute(sql`create table outbox_test_notes (id text primary key)`);
});
afterAll(async () => {
  await database?.close();
});

const noteExists = async (id: string) =>
  (await queryRows(database.db, sql`select 1 as x from outbox_test_notes where id = ${id}`))
    .length > 0;

const queued = async (channel: string) =>
  (
    await queryRows<{ message: string }>(
      database.db,
      sql`select message from fedify_queue where channel = ${channel} order by id`,
    )
  ).map((r) => JSON.parse(r.message) as Record<string, unknown>);

/** A domain write and an enqueue in one transaction, which fails if `fail`. */
async function domainWrite(
  id: string,
  fail: boolean,
  enqueue: (tx: Db) => Promise<void>,
): Promise<void> {
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`insert into outbox_test_notes (id) values (${id})`);
    await enqueue(tx as Db);
    if (fail) throw new Error("domain rule violated");
  });
}

// `scope.run(tx, …)` is what withOutbox (src/federation/outbox.ts) wraps around the domain write.
it("an enqueue inside scope.run(tx): rolled back with tx leaves no message; committed, it is delivered", async () => {
  const scope = new TransactionScope();
  const q = new DbMessageQueue(database.db, { channel: randomUUID(), scope, pollIntervalMs: 50 });
  const enqueue = (tx: Db, m: unknown) => scope.run(tx, () => q.enqueue(m));
  await expect(domainWrite("rolled-back", true, (tx) => enqueue(tx, "lost"))).rejects.toThrow(
    "domain rule violated",
  );
  expect(await noteExists("rolled-back")).toBe(false);
  expect(await queued(q.channel)).toEqual([]);

  await domainWrite("committed", false, (tx) => enqueue(tx, "kept"));
  expect(await queued(q.channel)).toEqual(["kept"]);
  const got: unknown[] = [];
  const ac = new AbortController();
  const listening = q.listen((m) => void got.push(m), { signal: ac.signal });
  // Drained: every message there was has been handled, so `got` is final.
  await until(async () => (await queueRows(database.db, q.channel)) === 0);
  ac.abort();
  await listening;
  expect(got).toEqual(["kept"]);
  expect(await noteExists("committed")).toBe(true);
  await database.db.execute(sql`delete from outbox_test_notes`);
});

it("an enqueue outside scope.run does not join a transaction running concurrently", async () => {
  const scope = new TransactionScope();
  const q = new DbMessageQueue(database.db, { channel: randomUUID(), scope });
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const inTx = database.db
    .transaction(async (tx) =>
      scope.run(tx as Db, async () => {
        await q.enqueue("in tx");
        await gate;
        throw new Error("roll back");
      }),
    )
    .catch(() => {});
  // On PGlite this enqueue waits for the transaction to end; it must not be swept into it.
  const outside = q.enqueue("outside");
  release();
  await Promise.all([inTx, outside]);
  expect(await queued(q.channel)).toEqual(["outside"]);
});

describe("ctx.sendActivity() through a real Federation", () => {
  let inbox: Server;
  let inboxUrl: URL;
  const received: { activity: Record<string, unknown>; signed: boolean }[] = [];

  beforeAll(async () => {
    inbox = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        if (req.method === "POST") {
          received.push({
            activity: JSON.parse(body),
            signed: req.headers.signature != null || req.headers["signature-input"] != null,
          });
        }
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => inbox.listen(0, "127.0.0.1", r));
    const { port } = inbox.address() as AddressInfo;
    inboxUrl = new URL(`http://127.0.0.1:${port}/users/bob/inbox`);
  });
  afterAll(async () => {
    await new Promise((r) => inbox.close(r));
  });

  it("delivers only what was sent in a committed transaction", async () => {
    const scope = new TransactionScope();
    const queue = new DbMessageQueue(database.db, {
      channel: randomUUID(),
      scope,
      pollIntervalMs: 50,
    });
    const kv = new DbKvStore(database.db, { scope });
    const origin = "http://fediflattr.test";
    const federation = createFederation<void>({
      kv,
      queue,
      origin,
      allowPrivateAddress: true,
      manuallyStartQueue: true,
    });
    const { privateKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const sender = [{ keyId: new URL(`${origin}/users/alice#main-key`), privateKey }];
    const recipient = { id: new URL("/users/bob", inboxUrl), inboxId: inboxUrl };
    const ctx = federation.createContext(new URL(origin), undefined);
    const create = (n: string) =>
      new Create({
        id: new URL(`${origin}/activities/${n}`),
        actor: new URL(`${origin}/users/alice`),
        to: recipient.id,
        object: new Note({ id: new URL(`${origin}/notes/${n}`), content: n }),
      });
    const send = (n: string, fail: boolean, fanout: "skip" | "force") =>
      database.db.transaction(async (tx) =>
        scope.run(tx as Db, async () => {
          await tx.execute(sql`insert into outbox_test_notes (id) values (${n})`);
          await ctx.sendActivity(sender, recipient, create(n), { fanout });
          if (fail) throw new Error("domain rule violated");
        }),
      );

    await expect(send("rolled-back", true, "skip")).rejects.toThrow("domain rule violated");
    await expect(send("rolled-back-fanout", true, "force")).rejects.toThrow("domain rule violated");
    expect(await queued(queue.channel)).toEqual([]);

    await send("committed", false, "skip");
    await send("committed-fanout", false, "force");
    expect((await queued(queue.channel)).map((m) => m.type).sort()).toEqual(["fanout", "outbox"]);

    const ac = new AbortController();
    const worker = federation.startQueue(undefined, { signal: ac.signal });
    // Drained (a row goes only after its delivery or fan-out finished): `received` is final.
    await until(async () => (await queueRows(database.db, queue.channel)) === 0);
    ac.abort();
    await worker;

    const ids = received.map((r) => r.activity.id).sort();
    expect(ids).toEqual([
      `${origin}/activities/committed`,
      `${origin}/activities/committed-fanout`,
    ]);
    expect(received.every((r) => r.signed)).toBe(true);
    expect(await noteExists("committed")).toBe(true);
    expect(await noteExists("rolled-back")).toBe(false);
  });
});
