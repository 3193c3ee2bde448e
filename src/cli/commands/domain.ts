import { blockDomain } from "../../flattr/domain-blocks.ts";
import { listBlockedDomains, unblockDomain } from "../../peers/blocks.ts";
import { command, parse, UsageError } from "../usage.ts";

/*
 * `fediflattr domain block|unblock|list`: the same door as the admin page (/admin/domains).
 * A block refuses the server's activities, look-ups and deliveries, covers its subdomains and
 * every port, and withdraws the open month's flattrs of its creators' things.
 */

function oneHost(args: string[], extra: Parameters<typeof parse>[1] = {}) {
  const { values, positionals } = parse(args, extra);
  if (positionals.length !== 1) throw new UsageError("Give one host, e.g. spam.example.");
  return { host: positionals[0]!, values };
}

const onServer = (origin: URL) =>
  `Block or unblock on the server's page instead: ${new URL("/admin/domains", origin).href} ` +
  "(logged in as an administrator).";

export const domainBlockCommand = command({
  name: "domain block",
  usage: "<host> [--reason <text>]",
  summary: "Block a server (and its subdomains): refuse its activities, look-ups and deliveries",
  needs: "database",
  parse: (args) => {
    const { host, values } = oneHost(args, { reason: { type: "string" } });
    return { host, reason: typeof values.reason === "string" ? values.reason : "" };
  },
  run: async (input, { config, database, clock }) => {
    const r = await blockDomain(database.db, clock, config.origin, input.host, input.reason);
    if (!r.ok) {
      console.error(r.error.message);
      return 1;
    }
    const { host, created, withdrawn } = r.value;
    console.log(
      `${created ? "Blocked" : "Already blocked (reason updated)"}: ${host} and its subdomains. ` +
        `${withdrawn} flattr${withdrawn === 1 ? "" : "s"} of the open month withdrawn.`,
    );
    return 0;
  },
  whileServing: (_input, origin) => onServer(origin),
});

export const domainUnblockCommand = command({
  name: "domain unblock",
  usage: "<host>",
  summary: "Lift a block (withdrawn flattrs stay withdrawn)",
  needs: "database",
  parse: (args) => ({ host: oneHost(args).host }),
  run: async (input, { database }) => {
    const r = await unblockDomain(database.db, input.host);
    if (!r.ok) {
      console.error(r.error.message);
      return 1;
    }
    if (!r.value.removed) {
      console.error(`${r.value.host} is not blocked (as such: \`domain list\` shows the blocks).`);
      return 1;
    }
    console.log(`Unblocked ${r.value.host}.`);
    return 0;
  },
  whileServing: (_input, origin) => onServer(origin),
});

export const domainListCommand = command({
  name: "domain list",
  usage: "",
  summary: "List blocked servers: host, since, reason (tab-separated)",
  needs: "database",
  parse: (args) => {
    parse(args, {}, false);
    return undefined;
  },
  run: async (_input, { database }) => {
    const blocks = await listBlockedDomains(database.db);
    if (blocks.length === 0) console.error("No server is blocked.");
    for (const b of blocks) console.log(`${b.host}\t${b.createdAt.toISOString()}\t${b.reason}`);
    return 0;
  },
  whileServing: (_input, origin) =>
    `See the blocks on the server's page instead: ${new URL("/admin/domains", origin).href}.`,
});
