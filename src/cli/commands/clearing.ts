import { formatAmount } from "../../money/decimal.ts";
import { clearingPositions, recordTransfer } from "../../settlement/clearing.ts";
import { command, parse, UsageError } from "../usage.ts";

/*
 * `fediflattr clearing`: per peer, what we owe and are owed (accepted summaries both ways), the
 * transfers recorded, the net position, what the peer's notices say, and every transfer on which
 * our records and its notices disagree (MISMATCH lines); `clearing record <peer> <amount> --reference <ref> --direction sent|received` records
 * an out-of-band bank transfer, once per reference.
 */

export const clearingCommand = command({
  name: "clearing",
  usage: "",
  summary: "Positions with each peer: owed both ways, transfers, net",
  needs: "database",
  parse: (args) => {
    parse(args, {}, false);
    return undefined;
  },
  run: async (_input, { config, database }) => {
    const rows = await clearingPositions(database.db, config);
    if (rows.length === 0) console.error("No peers admitted and nothing settled yet.");
    const f = (n: bigint) => formatAmount(n, config.currency);
    console.log(
      ["peer", "we owe", "they owe", "sent", "received", "net", "their notices"].join("\t"),
    );
    for (const p of rows)
      console.log(
        [
          p.peerHost,
          f(p.weOwe),
          f(p.theyOwe),
          f(p.sent),
          f(p.received),
          p.net > 0n ? `we owe ${f(p.net)}` : p.net < 0n ? `they owe ${f(-p.net)}` : "even",
          [
            p.noticedSent === null ? "" : `they say they sent ${f(p.noticedSent)}`,
            p.noticedReceived === null ? "" : `they say they received ${f(p.noticedReceived)}`,
            p.mismatches.length > 0 ? `MISMATCH (${p.mismatches.length})` : "",
          ]
            .filter(Boolean)
            .join("; ") || "-",
        ].join("\t"),
      );
    // Both sides print these: each has its own records and the other's notices.
    for (const p of rows)
      for (const m of p.mismatches) console.log(`MISMATCH\t${p.peerHost}\t${m.message}`);
    return 0;
  },
  whileServing: (_input, origin) =>
    `See the server's page instead: ${new URL("/admin/settlements", origin).href}.`,
});

export const clearingRecordCommand = command({
  name: "clearing record",
  usage: "<peer> <amount> --reference <ref> --direction sent|received",
  summary: "Record a bank transfer to or from a peer (once per reference)",
  needs: "database",
  parse: (args) => {
    const { positionals, values } = parse(args, {
      reference: { type: "string" },
      direction: { type: "string" },
    });
    if (positionals.length !== 2) throw new UsageError("Give the peer's host and the amount.");
    const direction = values.direction;
    if (direction !== "sent" && direction !== "received")
      throw new UsageError("--direction must be sent or received.");
    if (typeof values.reference !== "string") throw new UsageError("--reference is required.");
    return {
      peer: positionals[0]!,
      amount: positionals[1]!,
      reference: values.reference,
      direction: direction as "sent" | "received",
    };
  },
  run: async (input, { config, database, clock }) => {
    const r = await recordTransfer(database.db, clock, config, input);
    if (!r.ok) {
      console.error(r.error.message);
      return 1;
    }
    console.log(
      r.value.replayed
        ? `Already recorded: ${input.reference}.`
        : `Recorded ${input.amount} ${config.currency} ${input.direction} ${input.direction === "sent" ? "to" : "from"} ${input.peer} (${input.reference}); the worker sends ${input.peer} a signed notice of it.`,
    );
    return 0;
  },
  whileServing: (_input, origin) =>
    `See the server's page instead: ${new URL("/admin/settlements", origin).href}.`,
});
