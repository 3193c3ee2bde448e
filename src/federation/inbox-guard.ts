import {
  type Context,
  type DocumentLoader,
  detachSignature,
  doesActorOwnKey,
  type Federation,
  type KeyCache,
  verifyRequestDetailed,
} from "@fedify/fedify";
import { Activity } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { Deps } from "../deps.ts";
import type { BlockedHosts } from "../peers/blocked-hosts.ts";
import { hostOf } from "../peers/host.ts";
import { readCapped } from "./capped-read.ts";
import type { FederationData } from "./federation.ts";
import { preloadedContextLoader } from "./loaders.ts";
import type { MemoryRateLimiter } from "./memory-rate-limit.ts";

const logger = getLogger(["fediflattr", "federation", "inbox"]);

/** The one origin an activity's id and its single actor share, or null if they do not. */
export function activityOrigin(activity: Activity): string | null {
  const actors = activity.actorIds;
  if (!activity.id || actors.length !== 1) return null;
  return actors[0]!.origin === activity.id.origin ? activity.id.origin : null;
}

// The client address of each request, set by the HTTP surface (which has the socket) for the
// guard, which Fedify's fetch() reaches without it. A side table keyed by the request object.
const clientIps = new WeakMap<Request, string>();

export function rememberClientIp(request: Request, ip: string): void {
  clientIps.set(request, ip);
}

// The body of each request the guard passed, exactly as received (signatures and proofs
// included): settlement traffic keeps it as evidence and checks its proof itself.
const verifiedBodies = new WeakMap<Request, VerifiedBody>();

export interface VerifiedBody {
  json: Record<string, unknown>;
  /** The body's bytes as UTF-8 text, exactly as signed. */
  text: string;
  /** The activity as the guard read it (signatures and proofs left out), checked against its signer. */
  activity: Activity;
}

/** The body, as received, of a request the guard verified (undefined for any other). */
export function verifiedBody(request: Request): VerifiedBody | undefined {
  return verifiedBodies.get(request);
}

/** What the guard fetches with once a signature names its key, and where it keeps keys. */
export interface InboxGuardTools {
  /** Cached, size-capped (loaders.ts). */
  documentLoader: DocumentLoader;
  contextLoader: DocumentLoader;
  keyCache: KeyCache;
  /** INBOX_IP_RATE_LIMIT, counted in this process: it guards this process's verification work. */
  ipLimiter: MemoryRateLimiter;
  /**
   * INBOX_RATE_LIMIT per signing server, counted in this process too: a database upsert per
   * activity was a quarter of an inbound flattr's statements. With several web processes behind
   * a balancer a server gets up to the limit from each.
   */
  serverLimiter: MemoryRateLimiter;
  /** Blocked servers, held in memory and reloaded when a block changes (NOTIFY). */
  blockedHosts: BlockedHosts;
}

const JSON_TYPES = /^application\/(activity\+json|ld\+json|json)\s*(;|$)/i;
const MAX_SIGNATURE_HEADER = 8192;

class Refusal {
  constructor(
    readonly status: 400 | 401 | 403 | 413 | 415 | 429,
    readonly error: string,
    readonly retryAfterSeconds?: number,
  ) {}
}

/**
 * Every inbox POST passes here before Fedify sees it; Fedify then skips its own signature check
 * (`skipSignatureVerification` in federation.ts), so each signature is verified once. In order,
 * and cheapest first:
 *
 * 1. at most INBOX_IP_RATE_LIMIT POSTs per client IP (nothing else is known yet), counted in
 *    memory: a database round trip here cost as much as refusing the request;
 * 2. a JSON content type and an HTTP signature naming exactly one key (also when the body
 *    carries a proof or an LD signature: forwarded activities are not accepted), whose server is
 *    not blocked: all from the headers, before a byte of the body is read;
 * 3. a body of at most INBOX_MAX_BYTES, cut off while it is read;
 * 4. what the body claims (its id and actor), read with preloaded JSON-LD contexts only: nothing
 *    the body names is fetched before the signature is verified. Claims only ever refuse: a key
 *    on another origin than the activity is refused before the key is fetched. A body needing a
 *    context we do not preload is read after verification instead;
 * 5. the signature, with the key its keyId names (the one fetch an unverified request causes);
 * 6. the verified signer's server: not blocked, at most INBOX_RATE_LIMIT activities (counted
 *    in this process's memory, like step 1);
 * 7. Fedify 2.3.6 trusts a key's self-declared owner (GHSA-q9f8-5hc7-898f), so we require the
 *    key on the activity's origin, owned by its actor, for an activity whose id shares it.
 *
 * Returns a refusal, the request to hand Fedify (the body as read, minus signatures and proofs
 * nobody will check again), or null for requests that are not inbox POSTs.
 */
export function createInboxGuard(
  federation: Federation<FederationData>,
  tools: InboxGuardTools,
): (request: Request, deps: Deps) => Promise<Response | Request | null> {
  return async (request, deps) => {
    if (request.method !== "POST") return null;
    const url = new URL(request.url);
    if (!mayBeInbox(url.pathname)) return null;
    const ctx = federation.createContext(request, deps);
    if (!isInboxPath(ctx, url.pathname)) return null;
    const ip = clientIps.get(request) ?? "unknown";
    const seen: Record<string, string | undefined> = { ip, path: url.pathname };
    try {
      return await check(request, deps, tools, seen);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      logger.warning("Refused inbox POST {path} from {ip} ({status}): {reason}", {
        ...seen,
        status: error.status,
        reason: error.error,
      });
      const headers = new Headers();
      if (error.retryAfterSeconds !== undefined) {
        headers.set("Retry-After", String(error.retryAfterSeconds));
      }
      // A cut-off body leaves the client sending: end the connection rather than read it.
      if (error.status === 413) headers.set("Connection", "close");
      return Response.json({ error: error.error }, { status: error.status, headers });
    }
  };
}

async function check(
  request: Request,
  deps: Deps,
  tools: InboxGuardTools,
  seen: Record<string, string | undefined>,
): Promise<Request> {
  const { config } = deps;
  const byIp = tools.ipLimiter.hit(seen.ip!);
  if (!byIp.allowed) {
    throw new Refusal(429, "Too many requests from this address.", byIp.retryAfterSeconds);
  }

  if (!JSON_TYPES.test(request.headers.get("content-type") ?? "")) {
    throw new Refusal(415, "An inbox takes application/activity+json.");
  }
  const signerKeyId = keyIdOf(request.headers);
  seen.keyId = signerKeyId.href;
  const keyHost = hostOf(signerKeyId);
  if (keyHost === null) throw new Refusal(401, "The signature's keyId is not an http(s) URL.");
  if (await tools.blockedHosts.isBlocked(keyHost)) {
    throw new Refusal(403, "This server is blocked here.");
  }

  let bytes: Uint8Array<ArrayBuffer> | null;
  try {
    bytes = await readCapped(request.body, request.headers, config.inboxMaxBytes);
  } catch {
    throw new Refusal(400, "The body could not be read.");
  }
  if (bytes === null) {
    throw new Refusal(413, `The body is larger than ${config.inboxMaxBytes} bytes.`);
  }
  const json = parseJsonObject(bytes);

  // What the body claims, read without fetching anything (step 4).
  const unverified = detachSignature(json) as Record<string, unknown>;
  delete unverified.proof;
  let activity = await parseWithPreloadedContexts(unverified);
  seen.activity = activity?.id?.href;
  const claimed = activity ? activityOrigin(activity) : null;
  if (activity && claimed === null) {
    throw new Refusal(401, "The activity needs an id and exactly one actor, on the same origin.");
  }
  if (claimed !== null && claimed !== signerKeyId.origin) {
    throw new Refusal(401, "The request is not signed by a key of the activity's origin.");
  }
  // Verification reads a clone of this request's body, so Fedify can read the body after it.
  const verified = new Request(request.url, {
    method: "POST",
    headers: request.headers,
    body: bytes,
  });
  let verification: Awaited<ReturnType<typeof verifyRequestDetailed>>;
  try {
    verification = await verifyRequestDetailed(verified, tools);
  } catch {
    throw new Refusal(401, "The HTTP signature could not be checked.");
  }
  if (!verification.verified) {
    throw new Refusal(401, `HTTP signature not verified (${verification.reason.type}).`);
  }
  const key = verification.key;
  const signerHost = key.id ? hostOf(key.id) : null;
  if (key.id?.origin !== signerKeyId.origin || signerHost === null) {
    throw new Refusal(401, "The verified key is not the one the signature names.");
  }

  // From here on the signer's server is known (step 6).
  if (signerHost !== keyHost && (await tools.blockedHosts.isBlocked(signerHost))) {
    throw new Refusal(403, "This server is blocked here.");
  }
  const byServer = tools.serverLimiter.hit(signerHost);
  if (!byServer.allowed) {
    throw new Refusal(429, "Too many activities from this server.", byServer.retryAfterSeconds);
  }

  if (activity === null) {
    try {
      activity = await Activity.fromJsonLd(unverified, tools);
    } catch {
      throw new Refusal(400, "The body is not an ActivityStreams activity.");
    }
    seen.activity = activity.id?.href;
  }
  if (activityOrigin(activity) !== key.id.origin) {
    throw new Refusal(401, "The activity's id and actor are not on the signer's origin.");
  }
  if (!(await doesActorOwnKey(activity, key, tools))) {
    throw new Refusal(401, "The request is not signed by the activity's actor.");
  }

  logger.debug("Accepted {activity} from {keyId}", seen);
  if (!("signature" in json) && !("proof" in json)) {
    verifiedBodies.set(verified, { json, text: new TextDecoder().decode(bytes), activity });
    return verified;
  }
  const headers = new Headers(request.headers);
  headers.delete("content-length");
  const passed = new Request(request.url, {
    method: "POST",
    headers,
    body: JSON.stringify(unverified),
  });
  verifiedBodies.set(passed, { json, text: new TextDecoder().decode(bytes), activity });
  return passed;
}

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Refusal(400, "The body is not JSON.");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Refusal(400, "The body is not an ActivityStreams activity.");
  }
  return json as Record<string, unknown>;
}

/**
 * The key the request says it is signed with: RFC 9421 (`Signature-Input`) when present, as
 * Fedify's verifier decides, else draft-cavage (`Signature`). One key only.
 */
function keyIdOf(headers: Headers): URL {
  const input = headers.get("signature-input");
  const header = input ?? headers.get("signature");
  if (header === null) throw new Refusal(401, "The request has no HTTP signature.");
  if (header.length > MAX_SIGNATURE_HEADER) {
    throw new Refusal(400, "The signature header is too long.");
  }
  const pattern = input !== null ? /;\s*keyid="([^"]*)"/gi : /(?:^|,)\s*keyId="([^"]*)"/g;
  const ids = new Set([...header.matchAll(pattern)].map((m) => m[1]!));
  if (ids.size !== 1) throw new Refusal(401, "The HTTP signature must name exactly one keyId.");
  const [id] = ids;
  if (!URL.canParse(id!)) throw new Refusal(401, "The signature's keyId is not a URL.");
  return new URL(id!);
}

/**
 * The activity as far as preloaded contexts explain it; null when its `@context` names one we
 * do not hold (then it is read after verification). Anything else unreadable is refused.
 */
async function parseWithPreloadedContexts(json: unknown): Promise<Activity | null> {
  let needsFetch = false;
  const loader: DocumentLoader = async (url, options) => {
    try {
      return await preloadedContextLoader(url, options);
    } catch (error) {
      needsFetch = true;
      throw error;
    }
  };
  try {
    return await Activity.fromJsonLd(json, { contextLoader: loader, documentLoader: loader });
  } catch {
    if (needsFetch) return null;
    throw new Refusal(400, "The body is not an ActivityStreams activity.");
  }
}

/** Whether Fedify routes this path to an inbox (the same router, on our canonical origin). */
function isInboxPath(ctx: Context<FederationData>, pathname: string): boolean {
  const url = new URL(ctx.canonicalOrigin);
  url.pathname = pathname;
  return ctx.parseUri(url)?.type === "inbox";
}

/**
 * Both inbox routes (inbox.ts: "/users/{identifier}/inbox", "/inbox") end in "inbox", so a path
 * that does not contain it, even percent-decoded, cannot be one: every other POST (the REST API,
 * forms) skips building a Fedify context. Anything that might be an inbox gets the full check.
 */
export function mayBeInbox(pathname: string): boolean {
  // Decoded until stable, so no encoding of "inbox" (single, double…) slips past.
  let path = pathname;
  for (let i = 0; i < 8; i++) {
    if (/inbox/i.test(path)) return true;
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return true;
    }
    if (decoded === path) return false;
    path = decoded;
  }
  return true;
}
