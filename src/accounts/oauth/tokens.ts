import { and, eq, isNull } from "drizzle-orm";
import type { Clock } from "../../config/clock.ts";
import type { Db } from "../../db/client.ts";
import { accessTokens } from "../../db/schema/index.ts";
import {
  APP_TOKEN_PREFIX,
  hashAccessToken,
  newTokenString,
  OAUTH_TOKEN_PREFIX,
} from "../tokens.ts";
import type { OAuthApp } from "./apps.ts";
import { appOnlyScopes, type Scope } from "./scopes.ts";

/** What `POST /oauth/token` answers about a new token. */
export interface IssuedToken {
  token: string;
  tokenId: number;
  scopes: Scope[];
  createdAt: Date;
}

/** The token's name on the settings pages: the app's name (the column allows 100 characters). */
const tokenName = (app: OAuthApp) => [...app.name].slice(0, 100).join("");

/**
 * A token of `app` acting for `userId`, or for nobody (`userId` null: client_credentials, which
 * keeps only the reading scopes). A row of access_tokens like a personal token (ADR 0008).
 */
export async function issueOAuthToken(
  db: Db,
  clock: Clock,
  app: OAuthApp,
  userId: number | null,
  scopes: readonly Scope[],
): Promise<IssuedToken> {
  const granted = userId === null ? appOnlyScopes(scopes) : [...scopes];
  const token = newTokenString(userId === null ? APP_TOKEN_PREFIX : OAUTH_TOKEN_PREFIX);
  const createdAt = clock.now();
  const [row] = await db
    .insert(accessTokens)
    .values({
      userId,
      appId: app.id,
      name: tokenName(app),
      tokenHash: hashAccessToken(token),
      scopes: granted,
      createdAt,
    })
    .returning({ id: accessTokens.id });
  return { token, tokenId: row!.id, scopes: granted, createdAt };
}

/**
 * RFC 7009: revokes `token` if it was issued to `app`; anything else (unknown, another app's, a
 * personal token, already revoked) changes nothing and is not an error.
 */
export async function revokeAppToken(
  db: Db,
  clock: Clock,
  app: OAuthApp,
  token: string,
): Promise<void> {
  if (token.length > 200) return;
  await db
    .update(accessTokens)
    .set({ revokedAt: clock.now() })
    .where(
      and(
        eq(accessTokens.tokenHash, hashAccessToken(token)),
        eq(accessTokens.appId, app.id),
        isNull(accessTokens.revokedAt),
      ),
    );
}
