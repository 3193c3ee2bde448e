import { describe, expect, it } from "vitest";
import { ACCOUNT_ERROR_CODES } from "../../src/accounts/errors.ts";
import { OAUTH_ERROR_CODES } from "../../src/accounts/oauth/errors.ts";
import { testConfig } from "../../src/config/config.ts";
import { FLATTR_ERROR_CODES } from "../../src/flattr/errors.ts";
import { LINK_ERROR_CODES } from "../../src/flattr/linked-actors.ts";
import { RESOLVE_ERROR_CODES } from "../../src/flattr/resolve-errors.ts";
import { errorStatus, retryAfterSeconds } from "../../src/http/error-status.ts";
import { DEPOSIT_ERROR_CODES } from "../../src/ledger/index.ts";
import { PEER_ERROR_CODES } from "../../src/peers/errors.ts";
import { CLOSE_ERROR_CODES } from "../../src/settlement/close.ts";
import { SETTLEMENT_ERROR_CODES } from "../../src/settlement/summaries/sent.ts";
import { FOLLOW_ERROR_CODES, POST_ERROR_CODES } from "../../src/social/errors.ts";

// Every refusal code of every domain module: the one table must answer each with a 4xx.
const ALL = {
  flattr: FLATTR_ERROR_CODES,
  accounts: ACCOUNT_ERROR_CODES,
  deposits: DEPOSIT_ERROR_CODES,
  close: CLOSE_ERROR_CODES,
  follows: FOLLOW_ERROR_CODES,
  posts: POST_ERROR_CODES,
  oauth: OAUTH_ERROR_CODES,
  resolve: RESOLVE_ERROR_CODES,
  peers: PEER_ERROR_CODES,
  links: LINK_ERROR_CODES,
  settlement: SETTLEMENT_ERROR_CODES,
};

describe("domain error code → HTTP status", () => {
  for (const [domain, codes] of Object.entries(ALL)) {
    it(`maps every ${domain} code to a 4xx`, () => {
      for (const code of codes) {
        const status = errorStatus(code);
        expect(status, code).toBeGreaterThanOrEqual(400);
        expect(status, code).toBeLessThan(500);
      }
    });
  }

  it("keeps the statuses clients rely on", () => {
    expect(errorStatus("thing_not_found")).toBe(404);
    expect(errorStatus("user_not_found")).toBe(404);
    expect(errorStatus("rate_limited")).toBe(429);
    expect(errorStatus("own_thing")).toBe(422);
    expect(errorStatus("invalid_link")).toBe(400);
    expect(errorStatus("taken")).toBe(409);
    expect(errorStatus("registration_closed")).toBe(403);
    expect(errorStatus("reference_conflict")).toBe(409);
    expect(errorStatus("confirmation_required")).toBe(422);
    expect(errorStatus("not_found")).toBe(404);
    expect(errorStatus("domain_blocked")).toBe(403);
    expect(errorStatus("remote_gone")).toBe(410);
    expect(errorStatus("remote_unreachable")).toBe(424);
  });

  it("answers an unknown code with 422, never a 5xx, and Retry-After only when due", () => {
    expect(errorStatus("no_such_code")).toBe(422);
    expect(errorStatus("toString")).toBe(422); // not an inherited property
    const config = testConfig({ FLATTR_RATE_LIMIT: "30/90" });
    expect(retryAfterSeconds("rate_limited", config)).toBe(90);
    expect(retryAfterSeconds("no_budget", config)).toBeNull();
  });
});
