import { TOKEN_PREFIX, verifyToken } from "../accounts/tokens.ts";
import type { BearerResolver } from "./session.ts";

/*
 * Who a bearer token belongs to. Every kind of token (personal access tokens now, the Mastodon
 * API's OAuth tokens later) is one resolver in BEARER_RESOLVERS; the first that knows the token
 * wins. A resolver returns null for tokens that are not its kind, cheaply (by prefix) if it can.
 * The user it returns carries `scopes`: that is how the API tells a bearer caller from a cookie.
 */

/** Personal access tokens (src/accounts/tokens.ts). */
export const personalTokenResolver: BearerResolver = async (deps, token) => {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const user = await verifyToken(deps.database.db, deps.clock, token);
  if (!user) return null;
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    isAdmin: user.isAdmin,
    scopes: user.scopes,
  };
};

/** Add new kinds of tokens here. */
export const BEARER_RESOLVERS: readonly BearerResolver[] = [personalTokenResolver];

/** One resolver trying each of `resolvers` in turn. */
export function bearerResolvers(resolvers: readonly BearerResolver[]): BearerResolver {
  return async (deps, token) => {
    for (const resolve of resolvers) {
      const user = await resolve(deps, token);
      if (user) return user;
    }
    return null;
  };
}
