import { type SQL, sql } from "drizzle-orm";

/*
 * Whether money flows with a peer: only with an *admitted* one (an admin admits a server that
 * speaks our protocol). Every decision that depends on admission (a payer's "in transit" or
 * "awaiting", which peers hear of claims) asks this one function, so that admission is switched
 * on in one place.
 *
 * Until the admission of peers exists (peers.admitted_at), every known peer counts as admitted.
 */

/** SQL: the peer whose host is `host` (an expression) is admitted. */
export function peerAdmittedSql(host: SQL): SQL {
  return sql`(${host} is not null)`;
}
