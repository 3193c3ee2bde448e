import {
  createActivityPubRequest,
  type DocumentLoader,
  type DocumentLoaderOptions,
  FetchError,
  type GetUserAgentOptions,
  getRemoteDocument,
  type HttpMessageSignaturesSpec,
  type KvStore,
  kvCache,
  preloadedContexts,
  type RemoteDocument,
  signRequest,
  validatePublicUrl,
} from "@fedify/fedify";
import { hostOf } from "../peers/host.ts";
import { readCapped } from "./capped-read.ts";

/*
 * Every document federation fetches (actors, keys, objects, JSON-LD contexts) goes through these
 * loaders: bounded in size (FETCH_MAX_BYTES, cut off while reading) and time, private addresses
 * refused unless ALLOW_PRIVATE_ADDRESS, nothing from a blocked server (look-ups, keys and contexts
 * alike), unsigned ones cached in the KV store. Fedify's own loaders
 * read any response whole. Before an inbox POST's signature is verified only
 * `preloadedContextLoader` may resolve what its body names (inbox-guard.ts).
 */

export interface LoaderOptions {
  allowPrivateAddress: boolean;
  userAgent: GetUserAgentOptions | string;
  maxBytes: number;
  /** Per request, redirects included. */
  timeoutMs?: number;
  /** Blocked servers (src/peers/blocks.ts): never fetched from, also not through a redirect. */
  isBlocked?: (host: string) => Promise<boolean>;
}

const MAX_REDIRECTS = 5;
const DEFAULT_TIMEOUT_MS = 10_000;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function preloaded(url: string): RemoteDocument | null {
  return url in preloadedContexts
    ? { contextUrl: null, document: preloadedContexts[url], documentUrl: url }
    : null;
}

/** Thrown by `preloadedContextLoader` for anything it does not hold. */
export class NotPreloadedError extends FetchError {
  constructor(url: string) {
    super(url, `JSON-LD context ${url} is not preloaded (nothing is fetched before verification)`);
    this.name = "NotPreloadedError";
  }
}

/**
 * Resolves Fedify's preloaded JSON-LD contexts (ActivityStreams, security, Mastodon's terms…)
 * and refuses everything else without touching the network.
 */
export const preloadedContextLoader: DocumentLoader = async (url) => {
  const doc = preloaded(url);
  if (doc === null) throw new NotPreloadedError(url);
  return doc;
};

/** The response with its body read (at most `maxBytes`), so nothing downstream reads more. */
async function cappedResponse(response: Response, url: string, maxBytes: number) {
  if (NULL_BODY_STATUSES.has(response.status)) {
    await response.body?.cancel().catch(() => {});
    return new Response(null, { status: response.status, headers: response.headers });
  }
  const bytes = await readCapped(response.body, response.headers, maxBytes);
  if (bytes === null) throw new FetchError(url, `Response larger than ${maxBytes} bytes: ${url}`);
  return new Response(bytes, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

function timeoutSignal(options: LoaderOptions, caller?: DocumentLoaderOptions): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return caller?.signal ? AbortSignal.any([timeout, caller.signal]) : timeout;
}

function redirectTarget(response: Response, url: string): string | null {
  const location = response.headers.get("location");
  if (response.status < 300 || response.status >= 400 || location === null) return null;
  return new URL(location, url).href;
}

/**
 * One fetch through `send` (plain or signed), following redirects itself so that every hop is
 * checked against private addresses, then parsed by Fedify's `getRemoteDocument` (content types,
 * `Link` alternates, HTML pages that point to their ActivityPub form).
 */
function fetchingLoader(
  options: LoaderOptions,
  send: (request: Request, signal: AbortSignal) => Promise<Response>,
): DocumentLoader {
  const load = async (
    url: string,
    caller?: DocumentLoaderOptions,
    hops = 0,
  ): Promise<RemoteDocument> => {
    caller?.signal?.throwIfAborted();
    const href = new URL(url).href;
    const known = preloaded(href);
    if (known) return known;
    await refuseBlocked(options, href);
    if (!options.allowPrivateAddress) await validatePublicUrl(href);
    const signal = timeoutSignal(options, caller);
    const response = await send(
      createActivityPubRequest(href, { userAgent: options.userAgent }),
      signal,
    );
    const target = redirectTarget(response, href);
    if (target !== null) {
      await response.body?.cancel().catch(() => {});
      if (hops >= MAX_REDIRECTS) throw new FetchError(href, `Too many redirects: ${href}`);
      return load(target, caller, hops + 1);
    }
    return getRemoteDocument(
      href,
      await cappedResponse(response, href, options.maxBytes),
      (next: string) => load(next, caller, hops + 1),
    );
  };
  return load;
}

/** Thrown for a URL on a blocked server. */
export class BlockedHostError extends FetchError {
  constructor(url: string) {
    super(url, `${url} is on a blocked server`);
    this.name = "BlockedHostError";
  }
}

async function refuseBlocked(options: LoaderOptions, url: string): Promise<void> {
  const host = hostOf(url);
  if (options.isBlocked && (host === null || (await options.isBlocked(host)))) {
    throw new BlockedHostError(url);
  }
}

/** Unsigned, size-capped fetches (no cache: see `cachedLoader`). */
export function cappedLoader(options: LoaderOptions): DocumentLoader {
  return fetchingLoader(options, (request, signal) =>
    fetch(request, { redirect: "manual", signal }),
  );
}

/** `cappedLoader` behind Fedify's KV cache (5 minutes), as Fedify's default loaders are. */
export function cachedLoader(options: LoaderOptions, kv: KvStore): DocumentLoader {
  const cached = kvCache({
    loader: cappedLoader(options),
    kv,
    prefix: ["_fedify", "remoteDocument"],
  });
  // Checked before the cache too: a document cached before its server was blocked is not served.
  return async (url, caller) => {
    if (!preloaded(url)) await refuseBlocked(options, url);
    return cached(url, caller);
  };
}

/**
 * Which HTTP signature flavour each origin accepted last: the first try for the next fetch there.
 * Per process; forgetting it only costs one extra request.
 */
export class SignatureSpecMemory {
  readonly #specs = new Map<string, HttpMessageSignaturesSpec>();
  readonly #max: number;
  constructor(max = 10_000) {
    this.#max = max;
  }
  get(origin: string): HttpMessageSignaturesSpec | undefined {
    return this.#specs.get(origin);
  }
  remember(origin: string, spec: HttpMessageSignaturesSpec): void {
    if (this.#specs.size >= this.#max) this.#specs.clear();
    this.#specs.set(origin, spec);
  }
}

const OTHER: Record<HttpMessageSignaturesSpec, HttpMessageSignaturesSpec> = {
  "draft-cavage-http-signatures-12": "rfc9421",
  rfc9421: "draft-cavage-http-signatures-12",
};

/**
 * Signed, size-capped fetches (servers in secure mode refuse unsigned GETs), never cached: what a
 * server shows one signer is not for everyone. Signs with the flavour the origin accepted before
 * (draft-cavage first, which every server verifies), and on 400/401/403 tries the other once
 * ("double knocking", as Fedify's own loader does).
 */
export function signedLoader(
  identity: { keyId: URL; privateKey: CryptoKey },
  options: LoaderOptions,
  specs: SignatureSpecMemory,
): DocumentLoader {
  return fetchingLoader(options, async (request, signal) => {
    const origin = new URL(request.url).origin;
    const first = specs.get(origin) ?? "draft-cavage-http-signatures-12";
    const knock = async (spec: HttpMessageSignaturesSpec) =>
      fetch(await signRequest(request.clone(), identity.privateKey, identity.keyId, { spec }), {
        redirect: "manual",
        signal,
      });
    let response = await knock(first);
    let spec = first;
    if ([400, 401, 403].includes(response.status)) {
      await response.body?.cancel().catch(() => {});
      spec = OTHER[first];
      response = await knock(spec);
    }
    if (response.status < 400) specs.remember(origin, spec);
    return response;
  });
}
