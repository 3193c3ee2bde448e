import { isIPv4, isIPv6 } from "node:net";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { Config } from "../config/config.ts";

/**
 * The client address rate limits are keyed by. From the socket, unless `config.trustProxy`: then
 * the last X-Forwarded-For entry, the one our own reverse proxy appended (earlier entries are
 * whatever the client sent, and a client can send anything). IPv6 clients are grouped by /64:
 * one subscriber usually has a whole /64 to rotate through.
 */
export function clientIp(c: Context, config: Config): string {
  if (config.trustProxy) {
    const forwarded = c.req.header("x-forwarded-for");
    const last = forwarded?.split(",").at(-1)?.trim();
    if (last && (isIPv4(last) || isIPv6(last))) return rateLimitAddress(last);
  }
  try {
    const address = getConnInfo(c).remote.address;
    if (address) return rateLimitAddress(address);
  } catch {
    // No Node socket: a request handed to app.fetch() directly (tests, embedding).
  }
  return "unknown";
}

export function rateLimitAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(":")}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head = "", tail] = address.split("%")[0]!.toLowerCase().split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => (g.includes(".") ? g : g.replace(/^0+(?=.)/, "")));
}
