import { type SQL, sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import {
  accountSql,
  clearingAccountSql,
  mayGoNegativeSql,
  PENDING_PAYOUTS,
  PLEDGES,
} from "./accounts.ts";

export interface LedgerViolation {
  rule:
    | "balance_mismatch"
    | "unbalanced_entry"
    | "too_few_postings"
    | "orphan_posting"
    | "negative_balance"
    | "unknown_account"
    | "account_flag"
    | "reversal_mismatch"
    | "reversal_kind"
    | "currency_total"
    | "clearing_records"
    | "pledges_records"
    | "pending_payouts_records";
  message: string;
}

/**
 * A remote share (remote_shares, written by the close) counts while its close entry
 * close:<period>:<payer> stands: a reversal of that entry takes the money back out of
 * clearing/pledges, and with it the share. A refunded share (`returned`) left clearing with its
 * refund entry; a settled one stays in clearing until transfers settle the position.
 */
const closeEntryStands = sql`not exists (
  select 1 from ledger_entries e join ledger_entries r on r.reverses_entry_id = e.id
  where e.idempotency_key = 'close:' || s.period || ':' || s.payer_id::text)`;

/** Rows per rule at most, so a badly broken ledger still gives a readable report. */
const LIMIT = 1000;

type Row = Record<string, string | null>;

const RULES: { rule: LedgerViolation["rule"]; query: SQL; message: (r: Row) => string }[] = [
  {
    rule: "balance_mismatch",
    query: sql`
      with computed as (
        select account, currency, sum(amount) as s from ledger_postings group by account, currency)
      select coalesce(c.account, b.account) as account, coalesce(c.currency, b.currency) as currency,
             c.s::text as computed, b.balance::text as stored
      from computed c full join ledger_balances b on b.account = c.account and b.currency = c.currency
      where c.s is distinct from b.balance`,
    message: (r) =>
      `${r.account} (${r.currency}): stored balance ${r.stored ?? "missing"} but postings sum to ${r.computed ?? "nothing"}`,
  },
  {
    rule: "negative_balance",
    query: sql`
      select account, currency, sum(amount)::text as s from ledger_postings
      group by account, currency having sum(amount) < 0 and not ${mayGoNegativeSql(sql`account`)}`,
    message: (r) =>
      `${r.account} (${r.currency}) may not go negative but its postings sum to ${r.s}`,
  },
  {
    rule: "unbalanced_entry",
    query: sql`
      select entry_id::text as id, currency, sum(amount)::text as s from ledger_postings
      group by entry_id, currency having sum(amount) <> 0`,
    message: (r) => `entry #${r.id} does not balance in ${r.currency}: postings sum to ${r.s}`,
  },
  {
    rule: "too_few_postings",
    query: sql`
      select e.id::text as id, e.idempotency_key as key, count(p.id)::text as n
      from ledger_entries e left join ledger_postings p on p.entry_id = e.id
      group by e.id having count(p.id) < 2`,
    message: (r) => `entry #${r.id} (${r.key}) has ${r.n} posting(s), needs at least 2`,
  },
  {
    rule: "orphan_posting",
    query: sql`
      select p.id::text as id, p.entry_id::text as entry from ledger_postings p
      where not exists (select 1 from ledger_entries e where e.id = p.entry_id)`,
    message: (r) => `posting #${r.id} belongs to entry #${r.entry}, which does not exist`,
  },
  {
    rule: "unknown_account",
    query: sql`
      select distinct p.account, p.currency from ledger_postings p
      where not exists (
        select 1 from ledger_accounts a where a.name = p.account and a.currency = p.currency)`,
    message: (r) => `postings to ${r.account} (${r.currency}), which is not in ledger_accounts`,
  },
  {
    rule: "account_flag",
    query: sql`
      select name, currency, may_go_negative::text as flag from ledger_accounts
      where may_go_negative <> ${mayGoNegativeSql(sql`name`)}`,
    message: (r) =>
      `account ${r.name} (${r.currency}) has may_go_negative=${r.flag}, against its kind`,
  },
  {
    rule: "reversal_kind",
    query: sql`
      select id::text as id, kind from ledger_entries
      where (kind = 'reversal') <> (reverses_entry_id is not null)`,
    message: (r) =>
      `entry #${r.id}: kind "${r.kind}" and reverses_entry_id disagree (reversal ⇔ reverses an entry)`,
  },
  {
    rule: "reversal_mismatch",
    query: sql`
      with r as (select id as rid, reverses_entry_id as oid from ledger_entries
                 where reverses_entry_id is not null),
      rp as (select r.rid, p.account, p.currency, p.amount, count(*) as n
             from r join ledger_postings p on p.entry_id = r.rid group by 1, 2, 3, 4),
      op as (select r.rid, p.account, p.currency, -p.amount as amount, count(*) as n
             from r join ledger_postings p on p.entry_id = r.oid group by 1, 2, 3, 4)
      select coalesce(rp.rid, op.rid)::text as id, min(r.oid)::text as original
      from rp full join op on rp.rid = op.rid and rp.account = op.account
        and rp.currency = op.currency and rp.amount = op.amount and rp.n = op.n
      join r on r.rid = coalesce(rp.rid, op.rid)
      where rp.rid is null or op.rid is null
      group by 1`,
    message: (r) => `reversal #${r.id} is not the exact mirror of entry #${r.original}`,
  },
  {
    rule: "currency_total",
    query: sql`
      select currency, sum(balance)::text as s from ledger_balances
      group by currency having sum(balance) <> 0`,
    message: (r) => `stored balances in ${r.currency} sum to ${r.s}, not zero`,
  },
  {
    rule: "clearing_records",
    // What we and a peer owe each other, from the records: our open and settled shares routed to
    // it (both count, so the check needs no summary state: ADR 0029 leaves them `open`), less
    // what it credited its creators for us (summaries from it we accepted), less the transfers
    // we sent it, plus those we received (clearing_transfers we recorded).
    query: sql`
      with recorded as (
        select ${clearingAccountSql(sql`coalesce(s.claimed_by_host, s.peer_host)`)} as account,
               s.currency, sum(s.amount) as s
        from remote_shares s
        -- Held shares claimed through another server are owed to it until settled.
        where ((s.route = 'peer' and s.state in ('open', 'settled'))
               or (s.route = 'unclaimed' and s.state in ('claimed', 'settled') and s.claimed_by_host is not null))
          and ${closeEntryStands}
        group by 1, 2
        union all
        select ${clearingAccountSql(sql`i.peer_host`)}, i.currency, -sum(i.total)
        from settlement_summaries_in i where i.state = 'accepted'
        group by 1, 2
        union all
        select ${clearingAccountSql(sql`t.peer_host`)}, t.currency,
               sum(case when t.direction = 'sent' then -t.amount else t.amount end)
        from clearing_transfers t where t.source = 'ours'
        group by 1, 2),
      summed as (select account, currency, sum(s) as s from recorded group by 1, 2),
      posted as (
        select account, currency, balance as s from ledger_balances
        where account like ${clearingAccountSql(sql`'%'`)})
      select coalesce(p.account, r.account) as account, coalesce(p.currency, r.currency) as currency,
             coalesce(p.s, 0)::text as balance, coalesce(r.s, 0)::text as recorded
      from posted p full join summed r on r.account = p.account and r.currency = p.currency
      where coalesce(p.s, 0) <> coalesce(r.s, 0)`,
    message: (r) =>
      `${r.account} (${r.currency}): balance ${r.balance} but its records (peer shares and shares claimed through it, accepted summaries, transfers) sum to ${r.recorded}`,
  },
  {
    rule: "pledges_records",
    query: sql`
      with recorded as (
        select s.currency, sum(s.amount) as s from remote_shares s
        where s.route = 'unclaimed' and s.state = 'open' and ${closeEntryStands}
        group by 1),
      posted as (
        select currency, balance as s from ledger_balances where account = ${accountSql(PLEDGES)})
      select coalesce(p.currency, r.currency) as currency,
             coalesce(p.s, 0)::text as balance, coalesce(r.s, 0)::text as recorded
      from posted p full join recorded r on r.currency = p.currency
      where coalesce(p.s, 0) <> coalesce(r.s, 0)`,
    message: (r) =>
      `${PLEDGES} (${r.currency}): balance ${r.balance} but its open unclaimed shares (remote_shares) sum to ${r.recorded}`,
  },
  {
    // Money reserved for payouts is exactly the approved payouts not yet paid or failed.
    rule: "pending_payouts_records",
    query: sql`
      with recorded as (
        select currency, sum(amount) as s from payouts where status = 'approved' group by 1),
      posted as (
        select currency, balance as s from ledger_balances
        where account = ${accountSql(PENDING_PAYOUTS)})
      select coalesce(p.currency, r.currency) as currency,
             coalesce(p.s, 0)::text as balance, coalesce(r.s, 0)::text as recorded
      from posted p full join recorded r on r.currency = p.currency
      where coalesce(p.s, 0) <> coalesce(r.s, 0)`,
    message: (r) =>
      `${PENDING_PAYOUTS} (${r.currency}): balance ${r.balance} but the approved payouts sum to ${r.recorded}`,
  },
];

/**
 * Recomputes every balance from the postings and checks every invariant of the ledger.
 * An empty list means the ledger is sound. Read-only; safe on a live database.
 */
export async function checkLedger(db: Db): Promise<LedgerViolation[]> {
  const violations: LedgerViolation[] = [];
  for (const { rule, query, message } of RULES) {
    const rows = await queryRows<Row>(db, sql`${query} limit ${sql.raw(String(LIMIT + 1))}`);
    for (const row of rows.slice(0, LIMIT)) violations.push({ rule, message: message(row) });
    if (rows.length > LIMIT)
      violations.push({ rule, message: `… and more ${rule} violations (first ${LIMIT} shown)` });
  }
  return violations;
}

export interface LedgerSummary {
  entries: number;
  postings: number;
  accounts: number;
}

export async function ledgerSummary(db: Db): Promise<LedgerSummary> {
  const [row] = await queryRows<{ e: string; p: string; a: string }>(
    db,
    sql`select (select count(*) from ledger_entries)::text as e,
               (select count(*) from ledger_postings)::text as p,
               (select count(*) from ledger_accounts)::text as a`,
  );
  return { entries: Number(row!.e), postings: Number(row!.p), accounts: Number(row!.a) };
}
