export const MAX_URL_LENGTH = 2048;

/**
 * Validates a thing's URL and returns its canonical form (WHATWG serialisation: lowercase scheme
 * and host, default port dropped, no fragment). Returns a reason a person understands, or the URL.
 */
export function normalizeThingUrl(
  raw: string,
): { ok: true; url: string; normalized: string } | { ok: false; reason: string } {
  const url = raw.trim();
  if (url === "") return { ok: false, reason: "A URL is required." };
  if (url.length > MAX_URL_LENGTH)
    return { ok: false, reason: `The URL is longer than ${MAX_URL_LENGTH} characters.` };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, reason: "That is not a valid URL." };
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    return { ok: false, reason: "Only http:// and https:// URLs can be registered." };
  if (!u.hostname) return { ok: false, reason: "The URL has no host name." };
  if (u.username || u.password)
    return { ok: false, reason: "The URL must not contain a user name or password." };
  u.hash = "";
  return { ok: true, url, normalized: u.href };
}
