import { Add } from "@fedify/vocab";

/*
 * The announcement of a verified claim (docs/PROTOCOL.md, "Claims"): an `Add` from the claiming
 * instance's actor to a peer's instance actor, in plain ActivityStreams terms: `object` is the
 * claimed account, `target` the claimant (an account on the claiming server), `content` the
 * one-time code (which names the claimant) and `url` where the proof is. Peers read the proof
 * themselves; an `Add` without a claim code is none of ours.
 */

export interface ClaimAddInput {
  id: URL;
  /** The claiming instance's actor. */
  actor: URL;
  /** The peer's instance actor. */
  to: URL;
  account: URL;
  claimant: URL;
  code: string;
  proof: URL;
}

export function buildClaimAdd(input: ClaimAddInput): Add {
  return new Add({
    id: input.id,
    actor: input.actor,
    to: input.to,
    object: input.account,
    target: input.claimant,
    content: input.code,
    url: input.proof,
  });
}

export interface ClaimAddData {
  id: string;
  actor: string;
  account: string;
  claimant: string;
  code: string;
  proof: string;
}

/** The announcement's fields, or null when the `Add` is not a claim announcement. */
export function readClaimAdd(add: Add): ClaimAddData | null {
  const content = add.content;
  const code = typeof content === "string" ? content : (content?.toString() ?? "");
  const url = add.url;
  const proof = url instanceof URL ? url.href : (url?.href?.href ?? null);
  if (
    !add.id ||
    !add.actorId ||
    !add.objectId ||
    !add.targetId ||
    !proof ||
    !code.startsWith("fediflattr-claim:")
  )
    return null;
  return {
    id: add.id.href,
    actor: add.actorId.href,
    account: add.objectId.href,
    claimant: add.targetId.href,
    code,
    proof,
  };
}
