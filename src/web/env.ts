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
    /** The logged-in user (session cookie or bearer token), or null. */
    user: SessionUser | null;
    /** Per-request CSRF token to embed in forms. */
    csrfToken: string;
    requestId: string;
  };
}
