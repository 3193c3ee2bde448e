import type { Config } from "../../config/config.ts";
import { formatFeeRate } from "../../money/fee.ts";
import { listPeers, type Peer } from "../../peers/peers.ts";
import { refreshPeerNow } from "../../peers/peers-admin.ts";
import { peerReader } from "../../server.ts";
import { command, parse, UsageError } from "../usage.ts";

/*
 * `fediflattr peers`: the servers this instance has met and whether each is a peer (speaks our
 * protocol in our currency, so its creators are paid through it), as /admin/peers shows them;
 * `fediflattr peers refresh <host>` reads one server's NodeInfo now instead of waiting for the
 * daily refresh.
 */

function stamp(d: Date | null, timeZone: string): string {
  if (d === null) return "-";
  return d.toLocaleString("sv-SE", { timeZone, hour12: false }).slice(0, 16);
}

const orDash = (v: string | number | null) => (v === null || v === "" ? "-" : String(v));

/** One line per server, columns aligned. */
export function peersTable(peers: Peer[], config: Config): string {
  const header = [
    "host",
    "peer",
    "software",
    "protocol",
    "currency",
    "fee",
    "first seen",
    "last seen",
    "last error",
  ];
  const rows = peers.map((p) => [
    p.host,
    p.speaksFlattr ? "yes" : "no",
    p.software ? `${p.software}${p.version ? ` ${p.version}` : ""}` : "-",
    orDash(p.protocolVersion),
    orDash(p.currency),
    p.feeBp === null ? "-" : formatFeeRate(p.feeBp),
    stamp(p.firstSeen, config.timeZone),
    stamp(p.lastSeen, config.timeZone),
    orDash(p.lastError?.replace(/\s+/g, " ").slice(0, 80) ?? null),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export const peersCommand = command({
  name: "peers",
  usage: "",
  summary: "List the servers met so far and which are peers (our protocol, our currency)",
  needs: "database",
  parse: (args) => {
    const { positionals } = parse(args, {});
    if (positionals.length > 0)
      throw new UsageError(
        `Unknown argument "${positionals[0]}" (did you mean "peers refresh <host>"?)`,
      );
    return {};
  },
  run: async (_, { config, database }) => {
    const peers = await listPeers(database.db);
    if (peers.length === 0) {
      console.log("No servers met yet.");
      return 0;
    }
    console.log(peersTable(peers, config));
    const count = peers.filter((p) => p.speaksFlattr).length;
    console.error(`${peers.length} server(s), ${count} of them peer(s).`);
    return 0;
  },
  whileServing: (_input, origin) =>
    `The server's admin page lists them: ${new URL("/admin/peers", origin).href}.`,
});

export const peersRefreshCommand = command({
  name: "peers refresh",
  usage: "<host>",
  summary: "Read one server's NodeInfo now and record whether it is a peer",
  needs: "database",
  parse: (args) => {
    const { positionals } = parse(args, {});
    if (positionals.length !== 1) throw new UsageError("Give exactly one host, e.g. example.org.");
    return { host: positionals[0]! };
  },
  run: async (input, deps) => {
    const r = await refreshPeerNow(deps, peerReader(deps), input.host);
    if (!r.ok) {
      console.error(r.error.message);
      return 1;
    }
    const peer = r.value;
    console.log(peersTable([peer], deps.config));
    // A successful read clears lastError: one left is this attempt's.
    if (peer.lastError !== null) {
      console.error(`Could not read the NodeInfo of ${peer.host}: ${peer.lastError}`);
      return 1;
    }
    console.error(
      peer.speaksFlattr
        ? `${peer.host} is a peer: its creators are paid through it.`
        : `${peer.host} is not a peer: its creators are unclaimed here.`,
    );
    return 0;
  },
  whileServing: (_input, origin) =>
    `Use the refresh button on the server's admin page: ${new URL("/admin/peers", origin).href}.`,
});
