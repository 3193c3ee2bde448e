import { randomBytes } from "node:crypto";
import { ok, type Result, refused } from "../../errors.ts";
import type { RemoteLookup } from "../../flattr/remote-lookup.ts";
import { ClaimError } from "./errors.ts";

/*
 * The proof of a claim: a one-time code that names the claiming account, put in the claimed
 * account's profile (a field, or the bio) or in a public post of it, read by the instance actor's
 * signed fetch. The claiming instance and every peer that hears of the claim check the same way
 * (docs/PROTOCOL.md, "Claims"), so the code carries everything a peer needs: whose claim it is.
 */

const CODE_PREFIX = "fediflattr-claim";
const ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

/** A new code for `claimant` (user@host, the claiming account): fediflattr-claim:<claimant>:<random>. */
export function newClaimCode(claimant: string): string {
  const bytes = randomBytes(12);
  let random = "";
  for (const b of bytes) random += ALPHABET[b % ALPHABET.length];
  return `${CODE_PREFIX}:${claimant}:${random}`;
}

/** The claimant (user@host) a code names, or null when it is not a claim code. */
export function claimantOfCode(code: string): string | null {
  const m = /^fediflattr-claim:([^\s:@/]+@[a-z0-9.:[\]-]+):[a-z2-9]{12}$/.exec(code);
  return m ? m[1]! : null;
}

/** Text of HTML for searching: tags removed, the entities servers use decoded. */
function plain(html: string): string {
  return html
    .replace(/<[^>]*>/g, " ")
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&");
}

/**
 * Reads the proof at `proofUrl` (the claimed actor itself when null) and checks that it belongs
 * to `actorUri` and contains `code`. Fetched now, never from a cache.
 */
export async function checkProof(
  lookup: RemoteLookup,
  actorUri: string,
  proofUrl: string | null,
  code: string,
): Promise<Result<{ proofUrl: string }, ClaimError>> {
  const url = proofUrl ?? actorUri;
  const fetched = await lookup.fetch(url);
  if (!fetched.found)
    return refused(
      new ClaimError(
        "claim_proof_unreadable",
        `The proof at ${url} could not be read: ${fetched.detail}.`,
      ),
    );
  let texts: string[];
  if (fetched.kind === "actor") {
    if (fetched.actor.uri !== actorUri)
      return refused(
        new ClaimError("claim_proof_not_theirs", `${url} is another account, not the one claimed.`),
      );
    texts = [
      fetched.actor.summaryHtml,
      fetched.actor.name,
      ...(fetched.actor.fields ?? []).flatMap((f) => [f.name, f.value]),
    ];
  } else {
    if (fetched.object.attributedTo !== actorUri)
      return refused(
        new ClaimError("claim_proof_not_theirs", `${url} is not a post of the account claimed.`),
      );
    texts = [fetched.object.contentHtml, fetched.object.summary, fetched.object.name ?? ""];
  }
  if (!texts.some((t) => plain(t).includes(code)))
    return refused(
      new ClaimError(
        "claim_code_missing",
        `The code ${code} is not in ${proofUrl === null ? "the account's profile" : url} (yet?).`,
      ),
    );
  return ok({ proofUrl: fetched.kind === "actor" ? fetched.actor.uri : fetched.object.uri });
}
