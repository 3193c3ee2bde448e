import { getLogger } from "@logtape/logtape";
import { and, eq, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { peers } from "../db/schema/index.ts";
import { ok, type Result, refused } from "../errors.ts";
import { parseAmount } from "../money/decimal.ts";
import { isDomainBlocked } from "./blocks.ts";
import { PeerError } from "./errors.ts";
import { parseHost } from "./host.ts";
import type { Peer } from "./peers.ts";

const logger = getLogger(["fediflattr", "peers", "admission"]);

/*
 * Admitted peers (issue 10 point 1). A server that speaks our protocol is only *known*; money
 * flows with it only once an administrator admits it: we send it summaries, apply the ones it
 * sends, and its creators' shares are settled through it. A host may be admitted before we have
 * met it (a row with only the host and the admission). Suspending keeps the row and the history;
 * while suspended the peer is not admitted. The one door for all of it; the page, the CLI and the
 * settlement code ask `isAdmitted`.
 */

export interface AdmitOptions {
  /** Decimal in our currency ("50.00"); absent: keep the peer's limit (0 for a new one). */
  creditLimit?: string;
}

function hostOrRefusal(input: string, config: Pick<Config, "origin">): string | PeerError {
  const raw = input.trim();
  const host = /[/?#@\s]/.test(raw) && !/^https?:\/\//i.test(raw) ? null : parseHost(raw);
  if (host === null)
    return new PeerError("invalid_host", `Not a server name: "${raw.slice(0, 100)}".`);
  if (host === config.origin.host)
    return new PeerError("own_server", `${host} is this instance itself.`);
  return host;
}

/**
 * Admits `input` (a host as typed) as a peer, or re-admits a suspended one, optionally setting its
 * credit limit. Refuses what is not a host, our own origin and blocked servers.
 */
export async function admitPeer(
  db: Db,
  clock: Clock,
  config: Pick<Config, "origin" | "currency">,
  input: string,
  options: AdmitOptions = {},
): Promise<Result<Peer, PeerError>> {
  const host = hostOrRefusal(input, config);
  if (host instanceof PeerError) return refused(host);
  let creditLimit: bigint | undefined;
  if (options.creditLimit !== undefined) {
    const parsed = parseAmount(options.creditLimit, config.currency);
    if (parsed === null)
      return refused(
        new PeerError(
          "invalid_credit_limit",
          `The credit limit must be an amount in ${config.currency} such as "50.00", not "${options.creditLimit.slice(0, 40)}".`,
        ),
      );
    creditLimit = parsed;
  }
  if (await isDomainBlocked(db, host))
    return refused(new PeerError("domain_blocked", `${host} is blocked here; unblock it first.`));
  const now = clock.now();
  const set = {
    // Re-admitting a suspended peer keeps when trust first began.
    admittedAt: sql`coalesce(${peers.admittedAt}, ${now.toISOString()}::timestamptz)`,
    suspendedAt: null,
    ...(creditLimit === undefined ? {} : { creditLimit }),
  };
  const [row] = await db
    .insert(peers)
    .values({ host, admittedAt: now, creditLimit: creditLimit ?? 0n })
    .onConflictDoUpdate({ target: peers.host, set })
    .returning();
  if (!row) throw new Error("upsert of a peer returned no row");
  logger.info("Admitted {host} (credit limit {limit})", {
    host,
    limit: row.creditLimit.toString(),
  });
  return ok(row);
}

/**
 * Suspends an admitted peer: no more summaries to or from it are applied until it is admitted
 * again. Refuses a host that was never admitted.
 */
export async function suspendPeer(
  db: Db,
  clock: Clock,
  config: Pick<Config, "origin">,
  input: string,
): Promise<Result<Peer, PeerError>> {
  const host = hostOrRefusal(input, config);
  if (host instanceof PeerError) return refused(host);
  const now = clock.now();
  const [row] = await db
    .update(peers)
    .set({ suspendedAt: sql`coalesce(${peers.suspendedAt}, ${now.toISOString()}::timestamptz)` })
    .where(and(eq(peers.host, host), isNotNull(peers.admittedAt)))
    .returning();
  if (!row) return refused(new PeerError("unknown_peer", `${host} is not an admitted peer here.`));
  logger.info("Suspended {host}", { host });
  return ok(row);
}

/** Whether a peer row is admitted now (admitted, not suspended). */
export function admitted(peer: Pick<Peer, "admittedAt" | "suspendedAt"> | null): boolean {
  return peer !== null && peer.admittedAt !== null && peer.suspendedAt === null;
}

/** Whether money may flow with `host` (lowercase host[:port]) now. */
export async function isAdmitted(db: Db, host: string): Promise<boolean> {
  const rows = await db
    .select({ host: peers.host })
    .from(peers)
    .where(and(eq(peers.host, host), isNotNull(peers.admittedAt), isNull(peers.suspendedAt)));
  return rows.length > 0;
}

/** Every admitted (not suspended) peer, by host. */
export async function admittedPeers(db: Db): Promise<Peer[]> {
  return db
    .select()
    .from(peers)
    .where(and(isNotNull(peers.admittedAt), isNull(peers.suspendedAt)))
    .orderBy(peers.host);
}

/**
 * SQL: the peer whose host is `host` (an expression) is admitted now — the same rule as
 * `isAdmitted`, for queries that decide per row (a payer's "in transit" or "awaiting", which
 * peers hear of claims, which shares return).
 */
export function peerAdmittedSql(host: SQL): SQL {
  return sql`exists (select 1 from peers p_adm where p_adm.host = ${host} and p_adm.admitted_at is not null and p_adm.suspended_at is null)`;
}
