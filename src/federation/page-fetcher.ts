import { validatePublicUrl } from "@fedify/vocab-runtime";
import pkg from "../../package.json" with { type: "json" };
import type { Config } from "../config/config.ts";
import { type FetchedPage, PageFetchError, type PageFetcher } from "../flattr/verification.ts";

/*
 * The adapter behind verifying a thing (src/flattr/verification.ts): fetches an owner's web page
 * as this instance. Public addresses only (each redirect re-checked; ALLOW_PRIVATE_ADDRESS lifts
 * it for tests), at most 3 redirects, a timeout, and the body read only up to FETCH_MAX_BYTES (the
 * links that prove ownership are in the head; the rest is not ours to download).
 */

const TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;

export function httpPageFetcher(config: Config): PageFetcher {
  return async (url: string): Promise<FetchedPage> => {
    let current: URL;
    try {
      current = new URL(url);
    } catch {
      throw new PageFetchError("not an address");
    }
    const deadline = AbortSignal.timeout(TIMEOUT_MS);
    for (let redirects = 0; ; redirects++) {
      if (current.protocol !== "https:" && current.protocol !== "http:") {
        throw new PageFetchError(`${current.protocol} addresses are not fetched`);
      }
      if (!config.allowPrivateAddress) {
        try {
          await validatePublicUrl(current.href);
        } catch {
          throw new PageFetchError(`${current.host} is not a public address`);
        }
      }
      let response: Response;
      try {
        response = await fetch(current, {
          headers: { Accept: "text/html", "User-Agent": `fediflattr/${pkg.version}` },
          redirect: "manual",
          signal: deadline,
        });
      } catch (e) {
        if (deadline.aborted) throw new PageFetchError(`no answer within ${TIMEOUT_MS / 1000} s`);
        const code = (e as { cause?: { code?: unknown } }).cause?.code;
        throw new PageFetchError(`${current.host} could not be reached${code ? ` (${code})` : ""}`);
      }
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        if (redirects >= MAX_REDIRECTS) throw new PageFetchError("too many redirects");
        current = new URL(location, current);
        continue;
      }
      const body = await readCapped(response, config.fetchMaxBytes);
      return {
        url: current.href,
        status: response.status,
        contentType: response.headers.get("content-type") ?? "",
        body,
      };
    }
  };
}

/** The first `max` bytes of the body; the rest is not downloaded. */
async function readCapped(response: Response, max: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value.subarray(0, Math.max(0, max - size)));
    size += value.byteLength;
    if (size >= max) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}
