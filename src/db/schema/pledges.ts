import { sql } from "drizzle-orm";
import { bigint, check, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { remoteActors } from "./remote.ts";

/**
 * Claims of remote fediverse accounts (src/settlement/claims.ts): someone proves they control the
 * account by putting a one-time code that names their Fediflattr account in its profile or in a
 * public post, which the instance actor fetches. A claim is made here by a local user
 * (`user_id`, `claiming_host` null) or announced by another Fediflattr server (`claiming_host`,
 * `announcement_id`), which we verify ourselves. The first verified claim of an account wins
 * (`won`, at most one per account, the partial unique index), a later one is kept as `rival` for
 * the admin; `pending` waits for its proof, `failed` was announced but its proof did not hold.
 */
export const pledgeClaims = pgTable(
  "pledge_claims",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** The claimed account. */
    remoteActorId: bigint("remote_actor_id", { mode: "bigint" })
      .notNull()
      .references(() => remoteActors.id, { onDelete: "restrict" }),
    /** The claimant here, for a local claim. */
    userId: bigint("user_id", { mode: "number" }).references(() => users.id, {
      onDelete: "restrict",
    }),
    /** The claimant's actor id (ours for a local claim, the claiming server's otherwise). */
    claimantUri: text("claimant_uri").notNull(),
    /** The Fediflattr server that made the claim; null for one made here. */
    claimingHost: text("claiming_host"),
    /** The one-time code the proof must contain. */
    code: text("code").notNull(),
    /** Where the proof is (a post, or the account itself for a profile field). */
    proofUrl: text("proof_url"),
    state: text("state").notNull().default("pending"),
    /** Why the proof did not hold, last time it was checked. */
    problem: text("problem"),
    /** The announcing activity's id, for a claim another server announced. */
    announcementId: text("announcement_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    verifiedAt: timestamp("verified_at", { withTimezone: true }),
    /** When the announcement of a local claim to the peers was queued. */
    announcedAt: timestamp("announced_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("pledge_claims_winner").on(t.remoteActorId).where(sql`${t.state} = 'won'`),
    uniqueIndex("pledge_claims_announcement").on(t.announcementId),
    index("pledge_claims_user").on(t.userId),
    check("pledge_claims_state", sql`${t.state} in ('pending', 'won', 'rival', 'failed')`),
    check(
      "pledge_claims_claimant",
      sql`(${t.claimingHost} is null and ${t.userId} is not null) or (${t.claimingHost} is not null and ${t.userId} is null and ${t.announcementId} is not null)`,
    ),
  ],
);

/**
 * Monthly notices to unclaimed creators (PLEDGE_NOTICE): one per (creator, month), the primary
 * key making a second worker run send nothing.
 */
export const pledgeNotices = pgTable(
  "pledge_notices",
  {
    remoteActorId: bigint("remote_actor_id", { mode: "bigint" })
      .notNull()
      .references(() => remoteActors.id, { onDelete: "restrict" }),
    period: text("period").notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex("pledge_notices_key").on(t.remoteActorId, t.period)],
);
