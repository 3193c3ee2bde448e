import type { Config } from "../../config/config.ts";
import { formatAmount } from "../../money/decimal.ts";
import { formatFeeRate } from "../../money/fee.ts";
import { admitPeer, admitted, suspendPeer } from "../../peers/admission.ts";
import { listPeers, type Peer } from "../../peers/peers.ts";
import { refreshPeerNow } from "../../peers/peers-admin.ts";
import { peerReader } from "../../server.ts";
import { command, parse, UsageError } from "../usage.ts";

/*
 * `fediflattr peers`: the servers this instance has met and whether each is a peer (speaks our
 * protocol in our currency, so its creators are paid through it), as /admin/peers shows them;
 * `fediflattr peers refresh <host>` reads one server's NodeInfo now instead of waiting for the
 * daily refresh; `peers admit <host> [--credit-limit 50.00]` and `peers suspend <host>` decide
 * whether money flows with it (src/peers/admission.ts).
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
    "admitted",
    "credit limit",
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
    admitted(p) ? "yes" : p.suspendedAt !== null ? "suspended" : "no",
    formatAmount(p.creditLimit, config.currency),
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

export const peersAdmitCommand = command({
  name: "peers admit",
  usage: "<host> [--credit-limit <amount>]",
  summary:
    "Admit a server as a peer (money flows with it); a host not met yet may be admitted ahead",
  needs: "database",
  parse: (args) => {
    const { positionals, values } = parse(args, { "credit-limit": { type: "string" } });
    if (positionals.length !== 1) throw new UsageError("Give exactly one host, e.g. example.org.");
    const limit = values["credit-limit"];
    return { host: positionals[0]!, creditLimit: typeof limit === "string" ? limit : undefined };
  },
  run: async (input, { config, database, clock }) => {
    const r = await admitPeer(database.db, clock, config, input.host, {
      creditLimit: input.creditLimit,
    });
    if (!r.ok) {
      console.error(r.error.message);
      return 1;
    }
    console.log(peersTable([r.value], config));
    console.error(
      `${r.value.host} is admitted: summaries go to it and its summaries are applied; credit limit ` +
        `${formatAmount(r.value.creditLimit, config.currency)} ${config.currency}.`,
    );
    return 0;
  },
  whileServing: (_input, origin) =>
    `Use the admit button on the server's admin page: ${new URL("/admin/peers", origin).href}.`,
});

export const peersSuspendCommand = command({
  name: "peers suspend",
  usage: "<host>",
  summary: "Suspend an admitted peer: no summaries are sent to it or applied from it",
  needs: "database",
  parse: (args) => {
    const { positionals } = parse(args, {});
    if (positionals.length !== 1) throw new UsageError("Give exactly one host, e.g. example.org.");
    return { host: positionals[0]! };
  },
  run: async (input, { config, database, clock }) => {
    const r = await suspendPeer(database.db, clock, config, input.host);
    if (!r.ok) {
      console.error(r.error.message);
      return 1;
    }
    console.log(peersTable([r.value], config));
    console.error(`${r.value.host} is suspended; \`peers admit ${r.value.host}\` lifts it.`);
    return 0;
  },
  whileServing: (_input, origin) =>
    `Use the suspend button on the server's admin page: ${new URL("/admin/peers", origin).href}.`,
});
