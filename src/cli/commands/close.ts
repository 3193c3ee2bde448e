import { systemClock } from "../../config/clock.ts";
import type { Config } from "../../config/config.ts";
import { openDatabase } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
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

export const closeCommand = command(
  "close",
  "[--period YYYY-MM]",
  "Close a settlement period: pay every payer's budget to the things they flattred",
  async (args, config) => {
    const { values } = parse(args, { period: { type: "string" } }, false);
    const period = values.period ?? lastEndedPeriod(systemClock.now(), config.timeZone);
    if (!isPeriod(period)) throw new UsageError(`--period must look like 2026-03, got "${period}"`);

    const database = await openDatabase(config);
    const progress = progressReporter(process.stderr);
    try {
      await migrate(database);
      console.log(`Closing ${period} (${config.timeZone}) on ${database.kind}…`);
      const result = await closePeriod(database.db, systemClock, config, period, {
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
    } finally {
      await database.close();
    }
  },
);

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
  let lastLine = 0;
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
      const now = Date.now();
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
