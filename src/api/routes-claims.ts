import { unwrap } from "../errors.ts";
import { endpoint } from "../http/endpoint.ts";
import { formatAmount } from "../money/decimal.ts";
import { type ClaimView, myClaims, startClaim, verifyClaim } from "../settlement/claims/local.ts";
import { BODY_ERRORS } from "./responses.ts";
import {
  Claim,
  ClaimInput,
  ClaimList,
  ClaimPath,
  ClaimVerifyInput,
  ErrorBody,
  type Out,
} from "./schemas.ts";

/*
 * Claims of remote fediverse accounts (settlement/claims/local.ts): start one (the code to put in
 * the account's profile or a post), verify it, list yours.
 */

function claimJson(c: ClaimView, currency: string): Out<typeof Claim> {
  return {
    id: c.id,
    account: { actor: c.account.uri, handle: c.account.handle, name: c.account.name },
    code: c.code,
    proof_url: c.proofUrl,
    state: c.state,
    problem: c.problem,
    created_at: c.createdAt.toISOString(),
    verified_at: c.verifiedAt?.toISOString() ?? null,
    currency,
    claimed: formatAmount(c.claimed, currency),
    held: formatAmount(c.held, currency),
  };
}

const listClaims = endpoint(
  {
    method: "get",
    path: "/me/claims",
    operationId: "listClaims",
    summary: "Your claims of accounts on other servers",
    tags: ["me"],
    auth: "read",
    responses: { 200: { description: "Newest first.", json: ClaimList } },
  },
  async (c, { user }) => {
    const { config } = c.var.deps;
    const claims = await myClaims(c.var.deps, user.id);
    return c.json({ claims: claims.map((x) => claimJson(x, config.currency)) });
  },
);

const createClaim = endpoint(
  {
    method: "post",
    path: "/me/claims",
    operationId: "createClaim",
    summary: "Start claiming an account on another server",
    description:
      "Money flattred to an account on a server that does not speak Fediflattr is held for " +
      "it. Claim the account to receive it: put the answer's `code` in its profile (a field " +
      "or the bio) or in a public post, then verify. Asking again for the same account gives " +
      "the same claim.",
    tags: ["me"],
    auth: "write",
    body: ClaimInput,
    responses: {
      201: { description: "The claim, pending its proof.", json: Claim },
      404: { description: "No such account (not_found).", json: ErrorBody },
      409: { description: "You have already claimed it (claim_already_yours).", json: ErrorBody },
      424: { description: "Its server did not answer (remote_unreachable).", json: ErrorBody },
      ...BODY_ERRORS,
    },
  },
  async (c, { user, body }) => {
    const { config } = c.var.deps;
    const claim = unwrap(await startClaim(c.var.deps, c.var.remoteLookup, user.id, body.account));
    return c.json(claimJson(claim, config.currency), 201);
  },
);

const verify = endpoint(
  {
    method: "post",
    path: "/me/claims/{id}/verify",
    operationId: "verifyClaim",
    summary: "Verify a claim: this instance reads the proof",
    description:
      "Reads the account's profile, or the post at `proof_url`, signed by this instance, and " +
      "looks for the code. The first verified claim of an account wins: its held money moves " +
      "to your earnings at once. A 422 says what is missing (claim_code_missing, " +
      "claim_proof_not_theirs); 424 claim_proof_unreadable when it could not be read.",
    tags: ["me"],
    auth: "write",
    params: ClaimPath,
    body: ClaimVerifyInput,
    responses: {
      200: { description: "The claim, verified (won or rival).", json: Claim },
      404: "NotFound",
      424: {
        description: "The proof could not be read (claim_proof_unreadable).",
        json: ErrorBody,
      },
      ...BODY_ERRORS,
    },
  },
  async (c, { user, params, body }) => {
    const { config } = c.var.deps;
    const claim = unwrap(
      await verifyClaim(c.var.deps, c.var.remoteLookup, user.id, params.id, body.proof_url ?? null),
    );
    return c.json(claimJson(claim, config.currency));
  },
);

export const claimEndpoints = [listClaims, createClaim, verify];
