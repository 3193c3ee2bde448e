import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { type Budget, getBudget } from "../flattr/budget.ts";
import { currentPeriod } from "../flattr/current-period.ts";
import { walletBalance } from "../flattr/wallet.ts";
import type { PerFlattr } from "../money/split.ts";
import type { Period } from "../periods/period.ts";
import { earnings } from "./earnings.ts";
import { type MyFlattr, myFlattrs } from "./my-flattrs.ts";

/** A flattr one of the user's things received: from a user here or from a user of a peer. */
export interface ReceivedFlattr {
  thingId: number;
  title: string;
  /** "local": `from` is a username here; "remote": a handle user@host (or an actor id). */
  source: "local" | "remote";
  from: string;
  /** The remote payer's profile on their server; null for local payers. */
  fromUrl: string | null;
  at: Date;
}

/** What the person should do next, when something keeps their flattrs from being worth money. */
export type NextStep = "set_budget" | "top_up" | "flattr" | null;

/** The signed-in home page's figures: all sums and choices made here, none in the page. */
export interface HomeSummary {
  period: Period;
  currency: string;
  balance: bigint;
  budget: Budget | null;
  /** min(budget, balance) − fee: what this month's flattrs share now. */
  toCreators: bigint;
  flattrCount: number;
  /** What each of this month's flattrs is worth now ("about" unless exact); null without any. */
  each: PerFlattr | null;
  /** Exactly what one more flattr would get now. */
  oneMore: PerFlattr;
  /** This month's flattrs, newest first (at most `limit`). */
  latestGiven: MyFlattr[];
  /** The newest flattrs of the user's things, this month and before (at most `limit`). */
  latestReceived: ReceivedFlattr[];
  /**
   * Of this month's projected shares: what goes to creators on other Fediflattr servers (paid
   * through their server's monthly settlement) and what will be held until a creator on a server
   * that cannot pay them claims it.
   */
  inTransit: bigint;
  held: bigint;
  /** This month's projected earnings of the user's things, and how many flattrs came from peers. */
  earned: bigint;
  remoteFlattrsReceived: number;
  nextStep: NextStep;
}

export async function homeSummary(
  db: Db,
  config: Config,
  clock: Clock,
  userId: number,
  limit = 5,
): Promise<HomeSummary> {
  const period = currentPeriod(clock, config);
  const [values, balance, budget, received, earned] = await Promise.all([
    myFlattrs(db, config, clock, userId, period),
    walletBalance(db, config, userId),
    getBudget(db, config, userId),
    latestReceived(db, userId, limit),
    earnings(db, config, userId, period),
  ]);
  let inTransit = 0n;
  let held = 0n;
  for (const f of values.flattrs) {
    if (f.creator.kind === "peer") inTransit += f.value;
    else if (f.creator.kind === "unclaimed") held += f.value;
  }
  const latestGiven = [...values.flattrs]
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.flattrId - a.flattrId)
    .slice(0, limit);
  const nextStep: NextStep = !budget
    ? "set_budget"
    : balance <= 0n
      ? "top_up"
      : values.flattrs.length === 0
        ? "flattr"
        : null;
  return {
    period,
    currency: config.currency,
    balance,
    budget,
    toCreators: values.amount - values.fee,
    flattrCount: values.flattrs.length,
    each: values.each,
    oneMore: values.oneMore,
    latestGiven,
    latestReceived: received,
    inTransit,
    held,
    earned: earned.total,
    remoteFlattrsReceived: earned.remoteFlattrs,
    nextStep,
  };
}

/** The newest active flattrs of a user's things: local payers and users of peers, merged. */
export async function latestReceived(
  db: Db,
  userId: number,
  limit: number,
): Promise<ReceivedFlattr[]> {
  const rows = await queryRows<{
    thing_id: string;
    title: string;
    source: "local" | "remote";
    from_name: string;
    from_url: string | null;
    at: string | Date;
  }>(
    db,
    sql`(select f.thing_id::text, t.title, 'local' as source, u.username as from_name,
                null::text as from_url, f.created_at as at, f.id as sort_id
         from flattrs f
         join things t on t.id = f.thing_id
         join users u on u.id = f.payer_id
         where t.owner_kind = 'local' and t.owner_id = ${userId}::int8 and f.withdrawn_at is null
         order by f.created_at desc, f.id desc
         limit ${limit})
        union all
        (select i.thing_id::text, t.title, 'remote' as source, coalesce(a.handle, a.uri),
                coalesce(a.url, a.uri), i.received_at, i.id
         from incoming_flattrs i
         join things t on t.id = i.thing_id
         join remote_actors a on a.id = i.remote_actor_id
         where t.owner_kind = 'local' and t.owner_id = ${userId}::int8 and i.withdrawn_at is null
         order by i.received_at desc, i.id desc
         limit ${limit})
        order by at desc, sort_id desc
        limit ${limit}`,
  );
  return rows.map((r) => ({
    thingId: Number(r.thing_id),
    title: r.title,
    source: r.source,
    from: r.from_name,
    fromUrl: r.source === "remote" ? r.from_url : null,
    at: new Date(r.at),
  }));
}
