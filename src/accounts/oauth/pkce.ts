import { createHash, timingSafeEqual } from "node:crypto";

/*
 * PKCE (RFC 7636). `S256` is what every current client sends; `plain` is in the RFC and Mastodon
 * accepts it, so we do too (it still binds the code to whoever started the request).
 */

export type PkceMethod = "S256" | "plain";

/** RFC 7636 §4.1: 43 to 128 unreserved characters (for the verifier and a plain challenge). */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** The method a request names: absent means `plain` (§4.3); anything else is null. */
export function pkceMethod(raw: string | undefined): PkceMethod | null {
  if (raw === undefined || raw === "") return "plain";
  return raw === "S256" || raw === "plain" ? raw : null;
}

/** Whether a challenge is well-formed for its method. */
export function validChallenge(method: PkceMethod, challenge: string): boolean {
  return method === "S256" ? /^[A-Za-z0-9_-]{43}$/.test(challenge) : VERIFIER.test(challenge);
}

/** The challenge a verifier answers under `method`. */
export function challengeOf(method: PkceMethod, verifier: string): string {
  return method === "S256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
}

/** Whether `verifier` answers the challenge (in constant time). */
export function verifierMatches(method: PkceMethod, challenge: string, verifier: string): boolean {
  if (!VERIFIER.test(verifier)) return false;
  const a = Buffer.from(challengeOf(method, verifier));
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}
