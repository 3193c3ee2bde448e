import { type SQL, sql } from "drizzle-orm";

/*
 * The split of one payer's month, as SQL fragments shared by the close (which posts it) and by
 * flattrValues (which shows it, projected or final): one definition, so what people are shown is
 * what gets paid.
 *
 *   fee   = floor(amount × fee_bp / 10000)
 *   net   = amount − fee
 *   share = ⌊net / n⌋ + (1 if the flattr's rank by id ≤ net mod n)
 *
 * All weights are equal, so largest remainder gives every flattr the same remainder and the
 * net mod n leftover units go to the first flattrs by id (the stable tie-break). Every share is
 * ⌊q⌋ or ⌊q⌋+1 and the shares sum to net exactly.
 */

/**
 * Fee in minor units. numeric so amount × fee_bp cannot overflow int8, and div() (exact integer
 * quotient) rather than floor(x / 10000): numeric division rounds to a finite scale, which for
 * large amounts rounds …981.9999 up to …982 and would take a cent too many.
 */
export function feeSql(amount: SQL, feeBp: number): SQL {
  return sql`div((${amount})::numeric * ${feeBp}::int4, 10000)::int8`;
}

/** Share of the flattr ranked `rank` (1-based, by flattr id) among `n` splitting `net`. */
export function shareSql(net: SQL, n: SQL, rank: SQL): SQL {
  return sql`((${net})::int8 / (${n})::int8 + case when (${rank})::int8 <= (${net})::int8 % (${n})::int8 then 1 else 0 end)::int8`;
}
