export const MAX_URL_LENGTH = 2048;

/**
 * A control character (C0, DEL, C1), tab and line breaks included. The URL parser would drop
 * tabs and line breaks and percent-encode the rest, but the URL as typed is what is stored and
 * shown, and PostgreSQL refuses a NUL in text outright: a URL that contains one is refused here.
 */
function controlCharacter(text: string): string | null {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
      return `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return null;
}

/**
 * Validates a thing's URL and returns it as given (trimmed) and in its canonical form (WHATWG
 * serialisation: lowercase scheme and host, punycode, percent-encoding, default port dropped, no
 * fragment), the form things are compared and answered in. Returns a reason a person
 * understands, or the URL.
 */
export function normalizeThingUrl(
  raw: string,
): { ok: true; url: string; normalized: string } | { ok: false; reason: string } {
  const url = raw.trim();
  if (url === "") return { ok: false, reason: "A URL is required." };
  if (url.length > MAX_URL_LENGTH)
    return { ok: false, reason: `The URL is longer than ${MAX_URL_LENGTH} characters.` };
  const control = controlCharacter(url);
  if (control !== null)
    return {
      ok: false,
      reason: `The URL contains a control character (${control}, such as a NUL or a line break).`,
    };
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

/**
 * The canonical URI of a stored thing URL, for answers that promise a URI (the REST API's
 * `format: uri`): what normalizeThingUrl makes of it. Things registered before control
 * characters were refused may hold a line break, which the parser drops; a URL that does not
 * parse at all (none should) is answered as stored.
 */
export function thingUri(stored: string): string {
  try {
    const u = new URL(stored.trim());
    u.hash = "";
    return u.href;
  } catch {
    return stored;
  }
}
