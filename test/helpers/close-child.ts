// A separate process that runs the month close, for tests that kill it halfway (SIGKILL).
// argv: <database url> <period> <batch size>. Prints "batch <n>" after each committed batch.
import { fixedClock } from "../../src/config/clock.ts";
import { testConfig } from "../../src/config/config.ts";
import { openPostgres } from "../../src/db/client.ts";
import { closePeriod } from "../../src/settlement/close.ts";

const [url, period, batchSize] = process.argv.slice(2);
const database = openPostgres(url!, { max: 2 });
const result = await closePeriod(
  database.db,
  fixedClock("2030-01-01T00:00:00Z"),
  testConfig({ TIME_ZONE: "Europe/Berlin", FEE_BP: "500" }),
  period!,
  {
    batchSize: Number(batchSize),
    onProgress: (p) => {
      process.stdout.write(`batch ${p.batches}\n`);
    },
  },
);
process.stdout.write(`done ${result.thisRun.users}\n`);
await database.close();
