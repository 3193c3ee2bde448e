import type { Deps } from "../deps.ts";

export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  isAdmin: boolean;
  /** Set only when a bearer token authenticated the request: what the token may do. */
  scopes?: readonly string[];
}

/** Hono environment: what middleware puts on the context for handlers. */
export interface AppEnv {
  Variables: {
    deps: Deps;
    /** The logged-in user (session cookie), or null. API calls use `bearerUser` instead. */
    user: SessionUser | null;
    /**
     * On /api/ with `Authorization: Bearer`: the token, and its user looked up on first call
     * (src/api/auth.ts), so that a route which checks the token in its own statement (an API
     * flattr) does not pay a round trip for it. Unset elsewhere.
     */
    bearerToken: string | undefined;
    bearerUser: (() => Promise<SessionUser | null>) | undefined;
    /** Per-request CSRF token to embed in forms. */
    csrfToken: string;
    requestId: string;
  };
}
