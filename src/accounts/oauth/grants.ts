import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNotNull, isNull, lt, or } from "drizzle-orm";
import type { Clock } from "../../config/clock.ts";
import type { Db } from "../../db/client.ts";
import { accessTokens, oauthCodes } from "../../db/schema/index.ts";
import { appRedirects, type OAuthApp, OOB_REDIRECT_URI } from "./apps.ts";
import { OAuthError } from "./errors.ts";
import { type PkceMethod, pkceMethod, validChallenge, verifierMatches } from "./pkce.ts";
import { appOnlyScopes, parseScopes, type Scope, scopesWithin } from "./scopes.ts";
import { type IssuedToken, issueOAuthToken } from "./tokens.ts";

/*
 * The authorization code grant and client_credentials, as Mastodon (Doorkeeper) does them.
 * Codes are single-use, live ten minutes, and are bound to the app, the redirect URI, the user
 * and the PKCE challenge; only their SHA-256 is stored.
 */

export const CODE_TTL_MS = 10 * 60_000;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** A checked authorization request (`GET /oauth/authorize`), ready for the consent page. */
export interface AuthorizationRequest {
  app: OAuthApp;
  redirectUri: string;
  /** Whether the request named the redirect URI (else the app's only one was taken). */
  redirectUriGiven: boolean;
  scopes: Scope[];
  state: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: PkceMethod | undefined;
}

export interface AuthorizationParams {
  response_type?: string;
  redirect_uri?: string;
  scope?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
}

/**
 * Checks an authorization request of `app`. A bad redirect URI is thrown as
 * `invalid_redirect_uri` (never sent anywhere: the page shows it); the other refusals come
 * with the redirect URI to send them to (RFC 6749 §4.1.2.1).
 */
export function checkAuthorization(
  app: OAuthApp,
  params: AuthorizationParams,
):
  | { ok: true; request: AuthorizationRequest }
  | { ok: false; redirectUri: string; error: OAuthError } {
  const given = params.redirect_uri?.trim() || undefined;
  // Without one, an app with a single redirect URI means that one (Doorkeeper does the same).
  const redirectUri = given ?? (app.redirectUris.length === 1 ? app.redirectUris[0]! : undefined);
  if (redirectUri === undefined)
    throw new OAuthError(
      "invalid_redirect_uri",
      "The request names no redirect_uri, and the app has several.",
    );
  if (!appRedirects(app, redirectUri))
    throw new OAuthError(
      "invalid_redirect_uri",
      "The redirect_uri is not one that this app registered.",
    );
  const refuse = (code: OAuthError["code"], message: string) => ({
    ok: false as const,
    redirectUri,
    error: new OAuthError(code, message),
  });
  if (params.response_type !== "code")
    return refuse("unsupported_response_type", "Only response_type=code is supported.");
  const parsed = parseScopes(params.scope, app.scopes.includes("read") ? ["read"] : app.scopes);
  if (!parsed.ok) return refuse("invalid_scope", `Unknown scopes: ${parsed.unknown.join(", ")}.`);
  if (!scopesWithin(parsed.scopes, app.scopes))
    return refuse("invalid_scope", "The requested scopes are more than the app registered.");
  let codeChallenge: string | undefined;
  let codeChallengeMethod: PkceMethod | undefined;
  if (params.code_challenge) {
    const method = pkceMethod(params.code_challenge_method);
    if (!method) return refuse("invalid_request", "code_challenge_method must be S256 or plain.");
    if (!validChallenge(method, params.code_challenge))
      return refuse("invalid_request", "The code_challenge is malformed.");
    codeChallenge = params.code_challenge;
    codeChallengeMethod = method;
  }
  return {
    ok: true,
    request: {
      app,
      redirectUri,
      redirectUriGiven: given !== undefined,
      scopes: parsed.scopes,
      state: params.state,
      codeChallenge,
      codeChallengeMethod,
    },
  };
}

/** The code for an authorization the user just approved (plaintext, given to the app once). */
export async function issueCode(
  db: Db,
  clock: Clock,
  request: AuthorizationRequest,
  userId: number,
): Promise<string> {
  const code = randomBytes(32).toString("base64url");
  const now = clock.now();
  await db.insert(oauthCodes).values({
    codeHash: sha256(code),
    appId: request.app.id,
    userId,
    redirectUri: request.redirectUri,
    redirectUriGiven: request.redirectUriGiven,
    scopes: request.scopes,
    codeChallenge: request.codeChallenge ?? null,
    codeChallengeMethod: request.codeChallengeMethod ?? null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + CODE_TTL_MS),
  });
  return code;
}

export const isOob = (uri: string) => uri === OOB_REDIRECT_URI;

const badGrant = (why: string) =>
  new OAuthError(
    "invalid_grant",
    `The authorization code is invalid, expired, already used, or was issued to another client or redirect URI (${why}).`,
  );

/**
 * Exchanges a code for a token (grant_type=authorization_code). A code used a second time is
 * refused and the token it first produced is revoked (RFC 6749 §4.1.2): whoever replays a code
 * may have stolen it.
 */
export async function exchangeCode(
  db: Db,
  clock: Clock,
  app: OAuthApp,
  input: { code: string; redirectUri?: string; codeVerifier?: string },
): Promise<IssuedToken> {
  if (input.code === "" || input.code.length > 200) throw badGrant("malformed");
  const now = clock.now();
  const outcome = await db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(oauthCodes)
      .where(eq(oauthCodes.codeHash, sha256(input.code)))
      .for("update");
    if (!row || row.appId !== app.id) return { error: badGrant("unknown code") };
    if (row.usedAt) {
      if (row.tokenId !== null)
        await tx
          .update(accessTokens)
          .set({ revokedAt: now })
          .where(and(eq(accessTokens.id, row.tokenId), isNull(accessTokens.revokedAt)));
      return { error: badGrant("used before; its token is revoked") };
    }
    if (row.expiresAt.getTime() <= now.getTime()) return { error: badGrant("expired") };
    const redirect = input.redirectUri?.trim() || undefined;
    if (redirect !== undefined ? redirect !== row.redirectUri : row.redirectUriGiven)
      return { error: badGrant("redirect_uri differs") };
    if (row.codeChallenge && row.codeChallengeMethod) {
      const method = row.codeChallengeMethod as PkceMethod;
      if (!input.codeVerifier || !verifierMatches(method, row.codeChallenge, input.codeVerifier))
        return { error: badGrant("code_verifier does not match") };
    }
    const issued = await issueOAuthToken(tx as Db, clock, app, row.userId, row.scopes as Scope[]);
    await tx
      .update(oauthCodes)
      .set({ usedAt: now, tokenId: issued.tokenId })
      .where(eq(oauthCodes.id, row.id));
    return { issued };
  });
  // The refusal is thrown after the transaction committed, so a replay's revocation stays.
  if ("error" in outcome) throw outcome.error;
  return outcome.issued!;
}

/** An app-only token (grant_type=client_credentials): reading scopes within the app's. */
export async function clientCredentials(
  db: Db,
  clock: Clock,
  app: OAuthApp,
  scope: string | undefined,
): Promise<IssuedToken> {
  const parsed = parseScopes(scope, ["read"]);
  if (!parsed.ok)
    throw new OAuthError("invalid_scope", `Unknown scopes: ${parsed.unknown.join(", ")}.`);
  const within = parsed.scopes.filter((s) => scopesWithin([s], app.scopes));
  const scopes = appOnlyScopes(within);
  if (scopes.length === 0)
    throw new OAuthError(
      "invalid_scope",
      "An app token without a user can only read; ask for read (within the app's scopes).",
    );
  return issueOAuthToken(db, clock, app, null, scopes);
}

/** Housekeeping: codes spent or expired more than a day ago. */
export async function deleteStaleCodes(db: Db, clock: Clock): Promise<void> {
  const dayAgo = new Date(clock.now().getTime() - 86_400_000);
  await db
    .delete(oauthCodes)
    .where(
      or(
        lt(oauthCodes.expiresAt, dayAgo),
        and(isNotNull(oauthCodes.usedAt), lt(oauthCodes.usedAt, dayAgo)),
      ),
    );
}
