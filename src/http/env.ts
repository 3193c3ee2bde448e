import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Deps } from "../deps.ts";
import type { RemoteLookup } from "../flattr/remote-lookup.ts";
import type { PageFetcher } from "../flattr/verification.ts";
import type { PeerReader } from "../peers/peers-admin.ts";
import type { SocialDeps, SocialFederation } from "../social/ports.ts";

export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  isAdmin: boolean;
  /** Set only when a bearer token authenticated the request: what the token may do. */
  scopes?: readonly string[];
  /** With a bearer token: its row (access_tokens) and the OAuth app it was issued to, if any. */
  tokenId?: number;
  appId?: number | null;
}

/** An HTML error page for a status and a message meant for people. */
export type ErrorPageRenderer = (
  status: ContentfulStatusCode,
  message: string,
) => Response | Promise<Response>;

/** Hono environment of every HTTP surface: what middleware puts on the context for handlers. */
export interface AppEnv {
  Variables: {
    deps: Deps;
    /** How the resolver asks other servers (src/federation/lookup.ts; tests may pass a fake). */
    remoteLookup: RemoteLookup;
    /** Reads a server's NodeInfo now, for the peers admin (src/federation/peer-info.ts). */
    peerReader: PeerReader;
    /** Fetches an owner's page to verify their thing (src/federation/page-fetcher.ts). */
    pageFetcher: PageFetcher;
    /** The federation as the social doors need it (src/federation/social.ts). */
    social: SocialFederation;
    /**
     * The logged-in user of a page (the session cookie, src/web/session.ts), or null. Routes
     * that take bearer tokens use `bearerUser` instead: a cookie never authenticates them.
     */
    user: SessionUser | null;
    /**
     * With `Authorization: Bearer` on a route that opted into `bearerAuth()` (src/http/bearer.ts):
     * the token, and its user looked up on first call, so that a route which checks the token
     * in its own statement (an API flattr) does not pay a round trip for it. Unset elsewhere.
     */
    bearerToken: string | undefined;
    bearerUser: (() => Promise<SessionUser | null>) | undefined;
    /**
     * Renders an HTML error page in the site layout (set by the pages' session middleware,
     * src/web/error-page.tsx); unset, errors.ts answers its bare page. A port: http cannot
     * import the web surface.
     */
    errorPage: ErrorPageRenderer | undefined;
    /**
     * Every header a JSON answer gets on its way out, for a handler that makes a whole answer
     * (src/http/whole-answer.ts); set by the REST API's router and the Mastodon API's app when
     * they know the app's own headers, unset elsewhere.
     */
    wholeJsonHeaders: Readonly<Record<string, string>> | undefined;
    /** Per-request CSRF token to embed in forms (pages only). */
    csrfToken: string;
    requestId: string;
  };
}

/** What the social doors (posts, follows) take, from a request's context. */
export function socialDeps(c: Context<AppEnv>): SocialDeps {
  const { database, clock, config } = c.var.deps;
  return { db: database.db, clock, config, federation: c.var.social };
}
