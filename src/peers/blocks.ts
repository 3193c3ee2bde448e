import { getLogger } from "@logtape/logtape";
import { asc, eq, sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { blockedDomains } from "../db/schema/index.ts";
import { ok, type Result, refused } from "../errors.ts";
import { PeerError } from "./errors.ts";
import { hostMatches, hostname, parseHost } from "./host.ts";

const logger = getLogger(["fediflattr", "peers", "blocks"]);

/*
 * Blocked servers: the one door for blocking, unblocking and asking. What a block refuses is
 * enforced where each thing happens: the inbox guard (inbound activities), the federation
 * loaders (look-ups, keys, contexts), the outbox queue's handler (deliveries).
 */

// Blocks and unblocks made by this process: caches of blocked_domains in it (blocked-hosts.ts)
// read the table again at once, before the NOTIFY the change also sends comes back.
let changesHere = 0;

/** How many times this process changed blocked_domains (a cache reloads when it moved). */
export function blockChangesHere(): number {
  return changesHere;
}

/** Called by the doors after a block or unblock committed. */
export function noteBlocksChanged(): void {
  changesHere++;
}

/**
 * Whether a server is blocked here: its host, or a parent domain of it, is in blocked_domains
 * (ports ignored). Every inbound activity, look-up and delivery asks this.
 */
export async function isDomainBlocked(db: Db, host: string): Promise<boolean> {
  const name = hostname(host.toLowerCase());
  // example.org blocks a.example.org: compare the stored host's name with each suffix of ours.
  const labels = name.startsWith("[") ? [name] : name.split(".");
  const suffixes = name.startsWith("[") ? [name] : labels.map((_, i) => labels.slice(i).join("."));
  const rows = await queryRows<{ x: number }>(
    db,
    sql`select 1 as x from blocked_domains
        where regexp_replace(host, ':[0-9]+$', '') in (
          select json_array_elements_text(${JSON.stringify(suffixes)}::json))
        limit 1`,
  );
  return rows.length > 0;
}

export interface BlockedDomain {
  host: string;
  reason: string;
  createdAt: Date;
}

const MAX_REASON = 500;

/** A host as typed (`bad.example`, `bad.example:8443`) or a URL on it (`https://bad.example/@x`). */
function blockHost(input: string): string {
  const raw = input.trim();
  const bare = !/^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
  const host = bare && /[/?#@\s]/.test(raw) ? null : parseHost(raw);
  if (host === null) {
    throw new PeerError("invalid_host", `Not a host name: "${raw.slice(0, 100)}".`);
  }
  return host;
}

function normalise(input: string, ownOrigin: URL): string {
  const host = blockHost(input);
  if (hostMatches(ownOrigin.host.toLowerCase(), host)) {
    throw new PeerError("own_server", `Blocking ${host} would block this server itself.`);
  }
  return host;
}

/**
 * Records a block of `input` (normalised; refused when it is not a host or is this server), or
 * updates its reason. The door that also withdraws the blocked server's open flattrs is
 * `blockDomain` in src/flattr/domain-blocks.ts: call this only inside that transaction.
 */
export async function recordBlock(
  tx: Db,
  now: Date,
  ownOrigin: URL,
  input: string,
  reason: string,
): Promise<{ host: string; created: boolean }> {
  const host = normalise(input, ownOrigin);
  const inserted = await tx
    .insert(blockedDomains)
    .values({ host, reason: reason.trim().slice(0, MAX_REASON), createdAt: now })
    .onConflictDoNothing()
    .returning({ host: blockedDomains.host });
  if (inserted.length === 0) {
    await tx
      .update(blockedDomains)
      .set({ reason: reason.trim().slice(0, MAX_REASON) })
      .where(eq(blockedDomains.host, host));
  }
  return { host, created: inserted.length > 0 };
}

/**
 * Lifts a block. Withdrawn flattrs stay withdrawn (their payers may flattr again). `removed` is
 * false when the host was not blocked (a parent domain's block is not lifted by naming a
 * subdomain).
 */
export async function unblockDomain(
  db: Db,
  input: string,
): Promise<Result<{ host: string; removed: boolean }, PeerError>> {
  let host: string;
  try {
    host = blockHost(input);
  } catch (e) {
    if (e instanceof PeerError) return refused(e);
    throw e;
  }
  const deleted = await db
    .delete(blockedDomains)
    .where(eq(blockedDomains.host, host))
    .returning({ host: blockedDomains.host });
  noteBlocksChanged();
  if (deleted.length > 0) logger.info("Unblocked {host}", { host });
  return ok({ host, removed: deleted.length > 0 });
}

export async function listBlockedDomains(db: Db): Promise<BlockedDomain[]> {
  return db
    .select({
      host: blockedDomains.host,
      reason: blockedDomains.reason,
      createdAt: blockedDomains.createdAt,
    })
    .from(blockedDomains)
    .orderBy(asc(blockedDomains.host));
}
