// Three real instances over loopback (issue 10 point 10), shared by the three-instance test files:
// each with its own database and HTTP server on 127.0.0.1, all on one clock the test moves (a
// frozen clock: a summary delivered or failed is not due again until the test advances it, so the
// workers' own 30-second rounds never race the order a case sets up). A node can be taken down
// and brought back on the same port and database (a peer that is down).
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { instanceActorUrl } from "../../src/config/urls.ts";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { federationContext } from "../../src/federation/federation.ts";
import { ensurePeerKnown } from "../../src/federation/peer-info.ts";
import { actorInbox, postSigned } from "../../src/federation/settlement/transport.ts";
import { settlementRound } from "../../src/federation/settlement/worker.ts";
import { buildSummaryOffer } from "../../src/federation/vocab/settlement.ts";
import { flattr } from "../../src/flattr/flattr.ts";
import { remoteThingFor } from "../../src/flattr/remote-things.ts";
import { settlementLinesUrl, settlementSummaryUrl } from "../../src/http/urls.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { fee } from "../../src/money/fee.ts";
import { shares } from "../../src/money/split.ts";
import { admitPeer } from "../../src/peers/admission.ts";
import { periodOf } from "../../src/periods/period.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { closePeriod } from "../../src/settlement/close.ts";
import type { SummaryOut } from "../../src/settlement/summaries/build.ts";
import { findSent } from "../../src/settlement/summaries/sent.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { freePort, type TestInstance } from "../helpers/instance.ts";
import { cacheActor, fundedUser, localPostThing } from "./money-support.ts";
import { insertUser, waitFor } from "./support.ts";

export type MovingClock = ReturnType<typeof fixedClock>;

export interface Node extends TestInstance {
  name: string;
  /** host:port, as peers and clearing accounts name it. */
  host: string;
  database: Database;
  db: Db;
  /** Stops the HTTP server and the worker; the database stays. */
  down(): Promise<void>;
  /** Starts them again on the same port and database. */
  up(): Promise<void>;
}

async function startNode(name: string, clock: MovingClock, env: Record<string, string>) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  // A month's close is run by the test (a long grace keeps the worker's auto-close out of it).
  const config = testConfig({
    ORIGIN: origin,
    PORT: String(port),
    CLOSE_GRACE_SECONDS: String(31 * 86400),
    ...env,
  });
  const database = await createTestDatabase();
  const start = () =>
    startServer(config, { role: "all", hostname: "127.0.0.1", deps: { database, clock } });
  let server: RunningServer | null = await start();
  const live = () => {
    if (!server) throw new Error(`${name} is down`);
    return server;
  };
  const node: Node = {
    name,
    origin,
    host: `127.0.0.1:${port}`,
    database,
    db: database.db,
    get deps() {
      return live().deps;
    },
    get url() {
      return live().url;
    },
    get federation() {
      return live().federation;
    },
    get streaming() {
      return live().streaming;
    },
    down: async () => {
      await server?.stop();
      server = null;
    },
    up: async () => {
      server ??= await start();
    },
    stop: async () => {
      await server?.stop();
      server = null;
      await database.close();
    },
  };
  return node;
}

export interface Trio {
  a: Node;
  b: Node;
  c: Node;
  all: Node[];
  clock: MovingClock;
  stop(): Promise<void>;
}

/** Three instances on one clock starting at `start`; `env` per instance (A, B, C). */
export async function startTrio(
  start: string,
  env: [Record<string, string>, Record<string, string>, Record<string, string>],
): Promise<Trio> {
  const clock = fixedClock(start);
  const [a, b, c] = await Promise.all([
    startNode("A", clock, env[0]),
    startNode("B", clock, env[1]),
    startNode("C", clock, env[2]),
  ]);
  // Each knows the other two as servers that speak our protocol (NodeInfo, over HTTP).
  for (const n of [a, b, c])
    for (const o of [a, b, c])
      if (n !== o) expect((await ensurePeerKnown(n.deps, o.host)).speaksFlattr).toBe(true);
  return {
    a,
    b,
    c,
    all: [a, b, c],
    clock,
    stop: async () => {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    },
  };
}

export async function admit(node: Node, peer: Node, creditLimit?: string): Promise<void> {
  const r = await admitPeer(node.db, node.deps.clock, node.deps.config, peer.host, {
    creditLimit,
  });
  if (!r.ok) throw r.error;
}

/** A creator with one post (a local thing whose object id is its URI). */
export async function creatorWithPost(node: Node, username: string) {
  const id = await insertUser(node, username);
  const postUri = `${node.origin}/users/${username}/statuses/1`;
  const thingId = await localPostThing(node, id, postUri);
  return { id, username, node, postUri, thingId };
}
export type Creator = Awaited<ReturnType<typeof creatorWithPost>>;

export async function payer(node: Node, username: string, budget: bigint, balance = 10_000n) {
  return { id: await fundedUser(node, username, balance, budget), node, budget };
}
export type Payer = Awaited<ReturnType<typeof payer>>;

/** The thing that stands for `creator`'s post on the payer's instance (its own, or a cached remote note). */
export async function thingOn(node: Node, creator: Creator): Promise<number> {
  if (creator.node === node) return creator.thingId;
  const actor = await cacheActor(node, `${creator.node.origin}/users/${creator.username}`);
  const thing = await remoteThingFor(node.db, node.deps.clock, actor, {
    kind: "note",
    objectUri: creator.postUri,
    title: `${creator.username}'s post`,
  });
  return thing.id;
}

/** `p` flattrs each creator's post, in this order (the split ranks flattrs by id). */
export async function flattrAll(p: Payer, creators: Creator[]): Promise<void> {
  for (const c of creators) {
    const thingId = await thingOn(p.node, c);
    await flattr(p.node.db, p.node.deps.clock, p.node.deps.config, p.id, thingId);
  }
}

/** Waits until `node` has received `n` active incoming flattrs (Likes with the extension). */
export async function receivedFlattrs(node: Node, n: number): Promise<void> {
  await waitFor(async () => {
    const [row] = await queryRows<{ n: string }>(
      node.db,
      sql`select count(*)::text as n from incoming_flattrs where withdrawn_at is null`,
    );
    return Number(row!.n) >= n ? true : null;
  }, 90_000);
}

/**
 * The shares of one payer's month, computed here independently of the close: fee of the budget
 * at the payer instance's rate, the rest split over `n` flattrs, the oldest first.
 */
export function expectedShares(p: Payer, n: number): bigint[] {
  const net = p.budget - fee(p.budget, p.node.deps.config.feeBp);
  return shares(net, n);
}

export async function closeOn(node: Node, period: string): Promise<void> {
  await closePeriod(node.db, node.deps.clock, node.deps.config, period);
}

/**
 * Settlement rounds on the live nodes, one after another, until `done` (at most 10 passes: every
 * step of a round is due now, so a handful always suffices unless something is wrong).
 */
export async function settle(nodes: Node[], done: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 10; i++) {
    for (const n of nodes) await settlementRound(n.federation, n.deps);
    if (await done()) return;
  }
  throw new Error(`settlement rounds never reached: ${what}`);
}

export async function stateOut(from: Node, to: Node, period: string): Promise<string | null> {
  return (await findSent(from.db, to.host, period))?.state ?? null;
}

export async function rowsIn(node: Node, from: Node) {
  return queryRows<{
    period: string;
    sequence: number;
    state: string;
    reason: string | null;
    final: boolean | null;
    total: string;
  }>(
    node.db,
    sql`select period, sequence, state, reason, final, total::text from settlement_summaries_in
        where peer_host = ${from.host} order by id`,
  );
}

/**
 * Posts `s` (a summary `from` built) to `to`'s instance actor exactly as the worker delivers it:
 * a late or repeated delivery that the test, not the worker's schedule, puts on the wire.
 */
export async function deliverOffer(from: Node, s: SummaryOut, to: Node): Promise<void> {
  const ctx = federationContext(from.federation, from.deps);
  const config = from.deps.config;
  const doc = buildSummaryOffer({
    id: settlementSummaryUrl(config, s.id),
    actor: instanceActorUrl(config),
    to: instanceActorUrl(to.deps.config),
    fields: {
      period: s.period,
      currency: s.currency,
      sequence: s.sequence,
      previous: s.prevHash,
      total: s.total,
      lineCount: s.lineCount,
      flattrCount: s.flattrCount,
      linesHash: s.linesHash,
    },
    hash: s.hash,
    linesUrl: settlementLinesUrl(config, s.id),
  });
  await postSigned(ctx, await actorInbox(ctx, instanceActorUrl(to.deps.config)), doc);
}

/** `fediflattr <args>` on `node` (its database, config and the shared clock). */
export function cli(node: Node, args: string[]) {
  return runCliWith(args, {
    deps: { config: node.deps.config, database: node.database, clock: node.deps.clock },
  });
}

/** `fediflattr ledger check` (the function the CLI calls) on every node, up or down. */
export async function ledgersSound(trio: Trio): Promise<void> {
  for (const n of trio.all) expect(await checkLedger(n.db), n.name).toEqual([]);
}

/** The period the shared clock is in (every node has the same time zone). */
export const periodNow = (trio: Trio) => periodOf(trio.clock.now(), trio.a.deps.config.timeZone);
