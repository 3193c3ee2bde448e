import type { Config } from "../../config/config.ts";
import { formatAmount } from "../../money/decimal.ts";
import { isPeriod } from "../../periods/period.ts";
import { lastEndedPeriod } from "../../settlement/auto-close.ts";
import {
  CloseError,
  type CloseProgress,
  type CloseStats,
  closePeriod,
} from "../../settlement/close.ts";
import { command, parse, UsageError } from "../usage.ts";

export const closeCommand = command({
  name: "close",
  usage: "[--period YYYY-MM]",
  summary: "Close a settlement period: pay every payer's budget to the things they flattred",
  needs: "database",
  parse: (args) => {
    const { values } = parse(args, { period: { type: "string" } }, false);
    if (values.period !== undefined && !isPeriod(values.period))
      throw new UsageError(`--period must look like 2026-03, got "${values.period}"`);
    return { period: values.period };
  },
  run: async (input, { config, database, clock }) => {
    const period = input.period ?? lastEndedPeriod(clock.now(), config.timeZone);
    const progress = progressReporter(process.stderr);
    try {
      console.log(`Closing ${period} (${config.timeZone}) on ${database.kind}…`);
      const result = await closePeriod(database.db, clock, config, period, {
        onProgress: progress.update,
      });
      progress.done();
      if (result.alreadyClosed) {
        console.log(`${period} was already closed; nothing posted.`);
      } else {
        console.log(`Closed ${period}.`);
        console.log(`  This run:     ${describe(result.thisRun, config)}`);
      }
      console.log(`  Period total: ${describe(result.total, config)}`);
      return 0;
    } catch (e) {
      progress.done();
      if (e instanceof CloseError) {
        console.error(e.message);
        return 1;
      }
      throw e;
    }
  },
  whileServing: (_input, _origin, config) =>
    `The server's worker closes each month by itself ${config.closeGraceSeconds} seconds ` +
    "(CLOSE_GRACE_SECONDS) after it ends: there may be nothing to do.",
});

function describe(s: CloseStats, config: Config): string {
  const money = (v: bigint) => `${formatAmount(v, config.currency)} ${config.currency}`;
  return (
    `${s.users} payers processed, ${s.payers} paid for ${s.paidFlattrs} flattrs ` +
    `(${s.users - s.payers} had nothing to pay), total ${money(s.amount)}, fees ${money(s.fees)}`
  );
}

/** A bar redrawn in place on a terminal; on a pipe or log, a line at most every few seconds. */
function progressReporter(out: NodeJS.WriteStream) {
  const tty = Boolean(out.isTTY);
  // Pacing the display is about elapsed time on this terminal, not the instance's clock.
  let lastLine = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update: (p: CloseProgress) => {
      const pct = p.usersTotal === 0 ? 100 : Math.floor((p.usersDone / p.usersTotal) * 100);
      const text = `${p.usersDone}/${p.usersTotal} payers (${pct}%), batch ${p.batches}`;
      if (tty) {
        const width = 30;
        const fill = Math.round((pct / 100) * width);
        out.write(`\r[${"#".repeat(fill)}${".".repeat(width - fill)}] ${text}`);
        drawn = true;
        return;
      }
      const now = performance.now();
      if (now - lastLine >= 2000 || p.usersDone >= p.usersTotal) {
        out.write(`close ${p.period}: ${text}\n`);
        lastLine = now;
      }
    },
    done: () => {
      if (drawn) out.write("\n");
      drawn = false;
    },
  };
}
