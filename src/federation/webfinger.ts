import { validatePublicUrl } from "@fedify/vocab-runtime";
import pkg from "../../package.json" with { type: "json" };
import type { LookupFailure } from "../flattr/remote-lookup.ts";
import { hostOf } from "../peers/host.ts";

/*
 * WebFinger for the resolver. Fedify's lookupWebFinger answers null for every failure (so an
 * unknown handle and a server that is down look the same) and always asks https for acct:
 * handles, so loopback test instances (http://127.0.0.1:port) could never be found by handle.
 * This client tells the failures apart, asks http too where ALLOW_PRIVATE_ADDRESS allows it,
 * checks every redirect (public addresses, blocked servers) and caps size and time.
 */

const MAX_BYTES = 256 * 1024;
const TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;

export interface WebFingerOptions {
  allowPrivateAddress: boolean;
  /** Schemes to try, in order (https only unless private addresses are allowed). */
  schemes: readonly ("https" | "http")[];
  isBlocked(host: string): Promise<boolean>;
}

type Jrd = { subject?: unknown; links?: { rel?: unknown; type?: unknown; href?: unknown }[] };

class Failed extends Error {
  constructor(readonly failure: LookupFailure) {
    super(failure.detail);
  }
}

const unreachable = (detail: string) => new Failed({ found: false, reason: "unreachable", detail });

async function readCapped(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BYTES) {
      await reader.cancel();
      throw unreachable(`its WebFinger answer is larger than ${MAX_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function getJrd(start: URL, options: WebFingerOptions): Promise<Jrd> {
  let url = start;
  for (let hops = 0; ; hops++) {
    const host = hostOf(url);
    if (host === null) throw unreachable(`a redirect to ${url.protocol} was refused`);
    if (await options.isBlocked(host))
      throw new Failed({ found: false, reason: "blocked", detail: `${host} is blocked` });
    if (!options.allowPrivateAddress) {
      try {
        await validatePublicUrl(url.href);
      } catch {
        throw unreachable(`${host} is not a public address`);
      }
    }
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { Accept: "application/jrd+json", "User-Agent": `fediflattr/${pkg.version}` },
        redirect: "manual",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw unreachable(cause ?? (error instanceof Error ? error.message : String(error)));
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      if (hops >= MAX_REDIRECTS) throw unreachable("too many redirects");
      url = new URL(location, url);
      continue;
    }
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      throw new Failed({ found: false, reason: "not_found", detail: "no such account" });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw unreachable(`${host} answered ${response.status}`);
    }
    try {
      return JSON.parse(await readCapped(response)) as Jrd;
    } catch (error) {
      if (error instanceof Failed) throw error;
      throw unreachable("its WebFinger answer is not JSON");
    }
  }
}

/** This instance's options: http is tried too only where private (loopback) addresses are allowed. */
export function webFingerOptionsFor(
  config: { allowPrivateAddress: boolean; origin: URL },
  isBlocked: (host: string) => Promise<boolean>,
): WebFingerOptions {
  return {
    allowPrivateAddress: config.allowPrivateAddress,
    // Loopback test and dev instances speak http; public servers https only.
    schemes: config.allowPrivateAddress
      ? config.origin.protocol === "http:"
        ? ["http", "https"]
        : ["https", "http"]
      : ["https"],
    isBlocked,
  };
}

const AP_TYPE =
  /^application\/(activity\+json|ld\+json\s*;\s*profile="https:\/\/www\.w3\.org\/ns\/activitystreams")$/;

/** The actor id WebFinger gives for `username@host`, or why there is none. */
export async function webFingerActor(
  username: string,
  host: string,
  options: WebFingerOptions,
): Promise<{ found: true; actorUri: string } | LookupFailure> {
  const resource = `acct:${username}@${host}`;
  let last: LookupFailure = { found: false, reason: "unreachable", detail: "not tried" };
  for (const scheme of options.schemes) {
    const url = new URL(`${scheme}://${host}/.well-known/webfinger`);
    url.searchParams.set("resource", resource);
    let jrd: Jrd;
    try {
      jrd = await getJrd(url, options);
    } catch (error) {
      if (!(error instanceof Failed)) throw error;
      last = error.failure;
      // Another scheme may answer where this one could not connect; a real answer is final.
      if (last.reason === "unreachable") continue;
      return last;
    }
    const links = Array.isArray(jrd?.links) ? jrd.links : [];
    const self = links.find(
      (l) => l?.rel === "self" && typeof l.type === "string" && AP_TYPE.test(l.type),
    );
    const href = typeof self?.href === "string" ? self.href : null;
    if (href === null || hostOf(href) === null)
      return { found: false, reason: "not_found", detail: "no ActivityPub account" };
    return { found: true, actorUri: new URL(href).href };
  }
  return last;
}
