/*
 * Mastodon's pagination: `max_id` (older than), `since_id` (newer than), `min_id` (newer than,
 * nearest first) and `limit`, and a `Link` header with `rel="next"` (older: max_id = the last
 * item) and `rel="prev"` (newer: min_id = the first). Ids are numeric strings that sort by time
 * (src/db/ids.ts), compared as bigints.
 */

export interface PageParams {
  maxId?: bigint;
  sinceId?: bigint;
  minId?: bigint;
  limit: number;
}

const ID = /^[0-9]{1,19}$/;
const MAX_INT8 = 9223372036854775807n;

/** An id parameter, or undefined when absent or not an id (ignored, as Mastodon does). */
export function idParam(raw: unknown): bigint | undefined {
  if (typeof raw !== "string" || !ID.test(raw)) return undefined;
  const id = BigInt(raw);
  return id <= MAX_INT8 ? id : undefined;
}

/** The page a request asks for; `limit` is clamped to 1…max (default `defaultLimit`). */
export function pageParams(
  query: Record<string, unknown>,
  options: { defaultLimit?: number; maxLimit?: number } = {},
): PageParams {
  const defaultLimit = options.defaultLimit ?? 20;
  const maxLimit = options.maxLimit ?? 40;
  const rawLimit = typeof query.limit === "string" ? query.limit : "";
  const n = /^[0-9]{1,6}$/.test(rawLimit) ? Number(rawLimit) : defaultLimit;
  return {
    maxId: idParam(query.max_id),
    sinceId: idParam(query.since_id),
    minId: idParam(query.min_id),
    limit: Math.min(Math.max(n, 1), maxLimit),
  };
}

/**
 * The `Link` header for a page of `ids` (newest first, as returned) of the request at `url`,
 * keeping its other parameters; undefined for an empty page (Mastodon sends none then).
 */
export function linkHeader(url: URL, ids: readonly (bigint | string)[]): string | undefined {
  if (ids.length === 0) return undefined;
  const at = (name: "max_id" | "min_id", id: bigint | string) => {
    const u = new URL(url.href);
    for (const k of ["max_id", "min_id", "since_id"]) u.searchParams.delete(k);
    u.searchParams.set(name, String(id));
    return u.href;
  };
  return `<${at("max_id", ids[ids.length - 1]!)}>; rel="next", <${at("min_id", ids[0]!)}>; rel="prev"`;
}
