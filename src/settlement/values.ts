import { sql } from "drizzle-orm";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { walletBalance } from "../flattr/wallet.ts";
import { fee as feeOf } from "../money/fee.ts";
import { type PerFlattr, perFlattr } from "../money/split.ts";
import { isPeriod, type Period } from "../periods/period.ts";
import { shareSql } from "./shares.ts";

export interface FlattrValue {
  flattrId: number;
  thingId: number;
  title: string;
  url: string;
  createdAt: Date;
  /** Minor units: the final share after the close, the projected one before. */
  value: bigint;
}

export interface FlattrValues {
  period: Period;
  /** open: projected; closing: sealed, this payer maybe not yet processed; closed: final. */
  status: "open" | "closing" | "closed";
  /** True when the values are what was (or is being) paid: the payer has been processed. */
  final: boolean;
  currency: string;
  /** min(budget, wallet balance): at the close if final, else as of now. */
  amount: bigint;
  fee: bigint;
  flattrs: FlattrValue[];
  /** "About X each" over these flattrs (money/split.ts); null without any. */
  each: PerFlattr | null;
  /** The same with one more flattr: `oneMore.each` is exactly what a new flattr would get. */
  oneMore: PerFlattr;
}

/**
 * The payer's active flattrs of a period with the value of each: the same split the close posts
 * (settlement/shares.ts), over min(budget, balance) now while the period is open and over the
 * amount the close recorded once the payer has been processed.
 */
export async function flattrValues(
  db: Db,
  config: Config,
  payerId: number,
  period: Period,
): Promise<FlattrValues> {
  if (!isPeriod(period)) throw new RangeError(`not a period: ${period}`);
  const [state] = await queryRows<{ closed: boolean }>(
    db,
    sql`select closed_at is not null as closed from closed_periods where period = ${period}::text`,
  );
  const status = !state ? "open" : state.closed ? "closed" : "closing";
  const [processed] = await queryRows<{ amount: string; fee: string }>(
    db,
    sql`select amount::text, fee::text from close_payers
        where period = ${period}::text and user_id = ${payerId}::int8`,
  );

  let amount: bigint;
  let fee: bigint;
  const final = Boolean(processed) || status === "closed";
  if (processed) {
    amount = BigInt(processed.amount);
    fee = BigInt(processed.fee);
  } else if (status === "closed") {
    // Closed without this payer: they had no active flattr at the close.
    amount = 0n;
    fee = 0n;
  } else {
    const [budget] = await queryRows<{ amount: string }>(
      db,
      sql`select amount::text from budgets where user_id = ${payerId}::int8 and currency = ${config.currency}::text`,
    );
    const balance = await walletBalance(db, config, payerId);
    const b = budget ? BigInt(budget.amount) : 0n;
    amount = b < balance ? b : balance;
    // The twin of the close's feeSql (held equal by test/db/shares.test.ts): no round trip.
    fee = feeOf(amount, config.feeBp);
  }

  const netSql = sql`${(amount - fee).toString()}::int8`;
  const rows = await queryRows<{
    id: string;
    thing_id: string;
    title: string;
    url: string;
    created_at: string | Date;
    value: string;
  }>(
    db,
    sql`select id::text, thing_id::text, title, url, created_at,
               ${shareSql(netSql, sql`n`, sql`rank`)}::text as value
        from (select f.id, f.thing_id, t.title, t.url, f.created_at,
                     row_number() over (order by f.id) as rank, count(*) over () as n
              from flattrs f join things t on t.id = f.thing_id
              where f.payer_id = ${payerId}::int8 and f.period = ${period}::text
                and f.withdrawn_at is null) x
        order by x.id`,
  );
  const net = amount - fee;
  return {
    period,
    status,
    final,
    currency: config.currency,
    amount,
    fee,
    each: rows.length === 0 ? null : perFlattr(net, rows.length),
    oneMore: perFlattr(net, rows.length + 1),
    flattrs: rows.map((r) => ({
      flattrId: Number(r.id),
      thingId: Number(r.thing_id),
      title: r.title,
      url: r.url,
      createdAt: new Date(r.created_at),
      value: BigInt(r.value),
    })),
  };
}
