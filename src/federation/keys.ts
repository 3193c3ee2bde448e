import { exportJwk, generateCryptoKeyPair, importJwk } from "@fedify/fedify";
import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { actorKeys } from "../db/schema/index.ts";

/**
 * The key types every local actor has, in the order Fedify numbers them: the first becomes
 * `#main-key` (RSA, what Mastodon verifies HTTP signatures with), the second `#key-2` (Ed25519,
 * for FEP-8b32 object integrity proofs). Never reorder: key ids are published.
 */
export const KEY_TYPES = ["RSASSA-PKCS1-v1_5", "Ed25519"] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** The actor_keys name of the instance actor; users are stored under their username. */
export const INSTANCE_KEY_OWNER = "";

interface KeyRow {
  type: string;
  privateKey: unknown;
  publicKey: unknown;
}

async function selectKeys(db: Db, owner: string): Promise<KeyRow[]> {
  return db
    .select({
      type: actorKeys.type,
      privateKey: actorKeys.privateKey,
      publicKey: actorKeys.publicKey,
    })
    .from(actorKeys)
    .where(eq(actorKeys.actor, owner))
    .orderBy(asc(actorKeys.createdAt));
}

/**
 * The key pairs of a local actor, generated on first use and stored: a published key must never
 * change, or every peer that cached it stops trusting us. Two processes asking at once (web and
 * worker on PostgreSQL) serialize on an advisory lock, so exactly one pair per type is written.
 */
export async function loadOrCreateKeyPairs(db: Db, owner: string): Promise<CryptoKeyPair[]> {
  let rows = await selectKeys(db, owner);
  if (KEY_TYPES.some((type) => !rows.some((r) => r.type === type))) {
    await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`actor_keys:${owner}`}))`);
      const existing = await selectKeys(tx, owner);
      for (const type of KEY_TYPES) {
        if (existing.some((r) => r.type === type)) continue;
        const pair = await generateCryptoKeyPair(type);
        await tx.insert(actorKeys).values({
          actor: owner,
          type,
          privateKey: await exportJwk(pair.privateKey),
          publicKey: await exportJwk(pair.publicKey),
        });
      }
    });
    rows = await selectKeys(db, owner);
  }
  return Promise.all(
    KEY_TYPES.map(async (type) => {
      // Oldest first: should a duplicate ever exist, the one published first wins.
      const row = rows.find((r) => r.type === type);
      if (!row) throw new Error(`Key ${type} of actor "${owner}" vanished after creation`);
      return {
        privateKey: await importJwk(row.privateKey as JsonWebKey, "private"),
        publicKey: await importJwk(row.publicKey as JsonWebKey, "public"),
      };
    }),
  );
}
