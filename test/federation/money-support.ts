import { isActor } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { queryRows } from "../../src/db/client.ts";
import { federationContext } from "../../src/federation/federation.ts";
import { remoteActorDataOf } from "../../src/federation/remote-actor-data.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { type RemoteActor, upsertRemoteActor } from "../../src/social/remote-actors.ts";
import { deposit } from "../helpers/flattr.ts";
import type { TestInstance } from "../helpers/instance.ts";
import { queueRows } from "../helpers/queue.ts";
import { insertUser, waitFor } from "./support.ts";

/** A user with money in the wallet and a monthly budget. */
export async function fundedUser(
  instance: TestInstance,
  username: string,
  balance = 1000n,
  budget = 500n,
): Promise<number> {
  const { config, clock } = instance.deps;
  const db = instance.deps.database.db;
  const id = await insertUser(instance, username);
  await deposit(db, config, id, balance);
  await setBudget(db, clock, config, id, budget);
  return id;
}

/** Looks an actor up over the network and caches it (what resolving a handle will do). */
export async function cacheActor(instance: TestInstance, uri: string): Promise<RemoteActor> {
  const ctx = federationContext(instance.federation, instance.deps);
  const actor = await ctx.lookupObject(uri);
  if (!isActor(actor)) throw new Error(`${uri} is not an actor`);
  return upsertRemoteActor(
    instance.deps.database.db,
    instance.deps.clock,
    await remoteActorDataOf(actor),
  );
}

/** A local post as a thing whose object id is `uri` (posts themselves are another module's). */
export async function localPostThing(
  instance: TestInstance,
  ownerId: number,
  uri: string,
): Promise<number> {
  const [row] = await queryRows<{ id: string }>(
    instance.deps.database.db,
    sql`insert into things (owner_id, kind, url, url_normalized, object_uri, title, created_at)
        values (${ownerId}, 'note', ${uri}, ${uri}, ${uri}, 'a post', now()) returning id::text`,
  );
  return Number(row!.id);
}

/** Every outbox event relayed and every queued delivery and inbox activity handled. */
export async function settled(...instances: TestInstance[]): Promise<void> {
  await waitFor(async () => {
    for (const i of instances) {
      const [e] = await queryRows<{ n: string }>(
        i.deps.database.db,
        sql`select count(*)::text as n from outbox_events`,
      );
      if (Number(e!.n) > 0 || (await queueRows(i.deps.database.db)) > 0) return false;
    }
    return true;
  });
}

/** The ledger check passes on every instance. */
export async function expectLedgersSound(...instances: TestInstance[]): Promise<void> {
  for (const i of instances) expect(await checkLedger(i.deps.database.db)).toEqual([]);
}

export interface IncomingRow extends Record<string, unknown> {
  activity_id: string;
  peer_host: string;
  actor: string;
  thing_id: string;
  period: string;
  withdrawn: boolean;
}

export function incomingFlattrs(instance: TestInstance): Promise<IncomingRow[]> {
  return queryRows<IncomingRow>(
    instance.deps.database.db,
    sql`select i.activity_id, i.peer_host, a.uri as actor, i.thing_id::text, i.period,
               i.withdrawn_at is not null as withdrawn
        from incoming_flattrs i join remote_actors a on a.id = i.remote_actor_id order by i.id`,
  );
}

export function favouriteRows(instance: TestInstance) {
  return queryRows<{ activity_id: string; actor: string; thing_id: string; withdrawn: boolean }>(
    instance.deps.database.db,
    sql`select f.activity_id, a.uri as actor, f.thing_id::text, f.withdrawn_at is not null as withdrawn
        from favourites f join remote_actors a on a.id = f.remote_actor_id order by f.id`,
  );
}
