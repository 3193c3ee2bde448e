import { formatAmount } from "../../money/decimal.ts";
import { parseTypedHost } from "../../peers/host.ts";
import { listReceived } from "../../settlement/summaries/received.ts";
import { listSent, refundSummaries, withdrawSummary } from "../../settlement/summaries/sent.ts";
import { command, parse, UsageError } from "../usage.ts";

/*
 * `fediflattr settlements`: the summaries sent to and received from peers, with their states, as
 * /admin/settlements shows them; `settlements withdraw <peer> <period>` asks a peer to withdraw
 * an unanswered summary; `settlements refund` returns the shares of summaries rejected for good
 * or withdrawn to the payers' wallets (one idempotent entry per payer; the fee stays).
 */

const onServer = (origin: URL) =>
  `See the server's page instead: ${new URL("/admin/settlements", origin).href}.`;

export const settlementsCommand = command({
  name: "settlements",
  usage: "[<peer>]",
  summary: "List settlement summaries sent and received, per peer, with their states",
  needs: "database",
  parse: (args) => {
    const { positionals } = parse(args, {});
    if (positionals.length > 1) throw new UsageError("Give at most one peer host.");
    if (positionals[0] === undefined) return { peer: undefined };
    const peer = parseTypedHost(positionals[0]);
    if (peer === null)
      throw new UsageError(`Not a server name: "${positionals[0].slice(0, 100)}".`);
    return { peer };
  },
  run: async (input, { database }) => {
    const db = database.db;
    const sent = await listSent(db, input.peer);
    const received = await listReceived(db, input.peer);
    if (sent.length + received.length === 0) console.error("No settlement summaries yet.");
    for (const s of sent)
      console.log(
        [
          "sent",
          s.peerHost,
          s.period,
          `#${s.sequence}`,
          `${formatAmount(s.total, s.currency)} ${s.currency}`,
          `${s.lineCount} line(s)`,
          s.state,
          s.reason ? `${s.reason}${s.final ? " (final)" : " (retryable)"}` : "",
          s.refundedAt ? "refunded" : "",
          s.lastError ?? "",
        ].join("\t"),
      );
    for (const s of received)
      console.log(
        [
          "received",
          s.peerHost,
          s.period,
          `#${s.sequence}`,
          `${formatAmount(s.total, s.currency)} ${s.currency}`,
          `${s.lineCount} line(s)`,
          s.state,
          s.reason ?? "",
          s.message ?? "",
        ].join("\t"),
      );
    return 0;
  },
  whileServing: (_input, origin) => onServer(origin),
});

export const settlementsWithdrawCommand = command({
  name: "settlements withdraw",
  usage: "<peer> <period>",
  summary: "Ask a peer to withdraw a summary it has not answered (then refund it)",
  needs: "database",
  parse: (args) => {
    const { positionals } = parse(args, {});
    if (positionals.length !== 2)
      throw new UsageError("Give the peer's host and the period, e.g. peer.example 2027-03.");
    return { peer: positionals[0]!, period: positionals[1]! };
  },
  run: async (input, { database, clock }) => {
    const r = await withdrawSummary(database.db, clock, input.peer, input.period);
    if (!r.ok) {
      console.error(r.error.message);
      return 1;
    }
    console.log(
      `Withdrawing the summary to ${r.value.peerHost} for ${r.value.period}: sent by the worker until ` +
        "the peer answers; `settlements refund` returns its shares once it confirms.",
    );
    return 0;
  },
  whileServing: (_input, origin) => onServer(origin),
});

export const settlementsRefundCommand = command({
  name: "settlements refund",
  usage: "",
  summary: "Return the shares of summaries rejected for good or withdrawn to the payers",
  needs: "database",
  parse: (args) => {
    parse(args, {}, false);
    return undefined;
  },
  run: async (_input, { database, clock }) => {
    const refunds = await refundSummaries(database.db, clock);
    if (refunds.length === 0) console.error("Nothing to refund.");
    for (const r of refunds)
      console.log(
        `Refunded ${formatAmount(r.amount, r.summary.currency)} ${r.summary.currency} to ` +
          `${r.payers} payer(s): summary to ${r.summary.peerHost} for ${r.summary.period} ` +
          `(${r.summary.state}). The fee taken at the close stays with the instance.`,
      );
    return 0;
  },
  whileServing: (_input, origin) => onServer(origin),
});
