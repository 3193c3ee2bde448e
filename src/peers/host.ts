/*
 * A server's key: the lowercase `host[:port]` of its origin, as URL.host gives it (default ports
 * dropped, IPv6 in brackets). Peers, blocked domains, remote actors and `clearing:<host>` ledger
 * accounts all use this one form, so the same server is never two keys.
 */

const HOST = /^[a-z0-9.:[\]-]{1,255}$/;

/** The host key of a URL, or null when it has none we can use (not http(s), empty host). */
export function hostOf(url: string | URL): string | null {
  let u: URL;
  try {
    u = typeof url === "string" ? new URL(url) : url;
  } catch {
    return null;
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return null;
  const host = u.host.toLowerCase();
  return HOST.test(host) ? host : null;
}

/**
 * A host key as a person typed it (`Example.ORG`, `https://example.org/`, `example.org:8443`),
 * normalised; null when it is not a host.
 */
export function parseHost(input: string): string | null {
  const raw = input.trim();
  if (raw === "") return null;
  return hostOf(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
}

/**
 * A host an administrator typed on a command line or in a form: a host[:port] or an http(s) URL;
 * a bare word with a path, query, user or space in it ("no/such host") is refused rather than
 * cut down to a host it did not mean.
 */
export function parseTypedHost(input: string): string | null {
  const raw = input.trim();
  if (/[/?#@\s]/.test(raw) && !/^https?:\/\//i.test(raw)) return null;
  return parseHost(raw);
}

/** The host without its port (a block of `example.org` covers every port and subdomain). */
export function hostname(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

/** Whether `host` is `blocked` or one of its subdomains (ports ignored on both sides). */
export function hostMatches(host: string, blocked: string): boolean {
  const h = hostname(host);
  const b = hostname(blocked);
  return h === b || h.endsWith(`.${b}`);
}
