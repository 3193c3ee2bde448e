import { TOKEN_SCOPE_VALUES } from "../../db/schema/tokens.ts";

/*
 * Scopes, one rule for every token and every API (ADR 0008). Tokens carry Mastodon's scopes;
 * personal access tokens carry `read` and/or `write`. A route asks for one scope and the token
 * satisfies it when it holds that scope or a scope that covers it:
 *   - `read` covers every `read:*`, `write` every `write:*` (Mastodon's top-level scopes);
 *   - `follow` (deprecated by Mastodon, still requested by many apps) covers read/write of
 *     follows, blocks and mutes;
 *   - `read` and `read:accounts` cover `profile` (who the user is).
 * The REST API (/api/flattr/v1) asks for `read` or `write` themselves, which only `read` and
 * `write` satisfy: a token limited to `write:favourites` may star (= flattr) in a Mastodon app but
 * not set a budget or register things through the REST API, whose `write` can do all of that.
 */

export type Scope = (typeof TOKEN_SCOPE_VALUES)[number];
export const ALL_SCOPES: readonly Scope[] = TOKEN_SCOPE_VALUES;

const FOLLOW_COVERS: ReadonlySet<string> = new Set([
  "read:follows",
  "write:follows",
  "read:blocks",
  "write:blocks",
  "read:mutes",
  "write:mutes",
]);

export function isScope(s: string): s is Scope {
  return (ALL_SCOPES as readonly string[]).includes(s);
}

/** Whether a token holding `granted` may do what needs `required`. */
export function scopeAllows(granted: readonly string[], required: Scope): boolean {
  for (const g of granted) {
    if (g === required) return true;
    if (required.startsWith(`${g}:`)) return true; // read → read:*, write → write:*
    if (g === "follow" && FOLLOW_COVERS.has(required)) return true;
    if (required === "profile" && (g === "read" || g === "read:accounts")) return true;
  }
  return false;
}

/** `scopes` in the canonical order, without duplicates. */
export function normalizeScopes(scopes: Iterable<string>): Scope[] {
  const set = new Set(scopes);
  return ALL_SCOPES.filter((s) => set.has(s));
}

/**
 * A space-separated scope list as clients send it (`read write follow push`; `+` is a space in
 * a form). Blank → `fallback`. Unknown scopes are an error naming them, as on Mastodon.
 */
export function parseScopes(
  raw: string | undefined,
  fallback: readonly Scope[] = ["read"],
): { ok: true; scopes: Scope[] } | { ok: false; unknown: string[] } {
  const words = (raw ?? "").split(/[\s+]+/).filter((w) => w !== "");
  if (words.length === 0) return { ok: true, scopes: [...fallback] };
  const unknown = [...new Set(words.filter((w) => !isScope(w)))];
  if (unknown.length > 0) return { ok: false, unknown: unknown.slice(0, 5) };
  return { ok: true, scopes: normalizeScopes(words) };
}

/** Whether every scope of `requested` is within `allowed` (each requested one covered). */
export function scopesWithin(requested: readonly Scope[], allowed: readonly string[]): boolean {
  return requested.every((s) => scopeAllows(allowed, s));
}

/** What an app-only token (no user) may hold: reading public things only. */
export function appOnlyScopes(scopes: readonly Scope[]): Scope[] {
  return scopes.filter((s) => s === "read" || s.startsWith("read:") || s === "profile");
}

/**
 * The scopes that let a token flattr (star) for its user: `write:favourites` and what covers it.
 * The flattr statement checks a token against this list itself (src/db/sql/flattr-functions.sql),
 * so it is spelt out here; a unit test holds it equal to scopeAllows.
 */
export const FLATTR_SCOPES: readonly Scope[] = ["write", "write:favourites"];

/** Whether a token with these scopes can flattr (star) for its user. */
export function canFlattr(scopes: readonly string[]): boolean {
  return scopeAllows(scopes, "write:favourites");
}
