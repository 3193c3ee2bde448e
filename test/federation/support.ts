import { users } from "../../src/db/schema/index.ts";
import { federationSocial } from "../../src/federation/social.ts";
import type { SocialDeps } from "../../src/social/ports.ts";
import type { TestInstance } from "../helpers/instance.ts";
import { until } from "../helpers/wait.ts";

/** A user row straight into the database (accounts' createUser is not needed for federation). */
export async function insertUser(instance: TestInstance, username: string): Promise<number> {
  const [row] = await instance.deps.database.db
    .insert(users)
    .values({
      username,
      email: `${username.toLowerCase()}@example.test`,
      passwordHash: "not-a-real-hash",
      displayName: `${username} Example`,
      bio: "Makes things <b>worth</b> flattring.",
    })
    .returning({ id: users.id });
  return row!.id;
}

export const AP = "application/activity+json";

// biome-ignore lint/suspicious/noExplicitAny: tests poke into arbitrary JSON documents.
type Json = any;

export async function getJson(url: string, accept = AP): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, { headers: { Accept: accept } });
  const text = await res.text();
  let body: Json = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body };
}

/** Polls until `check` returns a truthy value (queued deliveries are asynchronous). */
export function waitFor<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  return until(check, { timeoutMs, intervalMs: 100 });
}

/** The social doors' dependencies on a running instance (its real federation port). */
export function socialOf(instance: TestInstance): SocialDeps {
  const { database, clock, config } = instance.deps;
  return {
    db: database.db,
    clock,
    config,
    federation: federationSocial(instance.federation, instance.deps),
  };
}
