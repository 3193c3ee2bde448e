import { checkLedger, ledgerSummary } from "../../ledger/index.ts";
import { command, parse } from "../usage.ts";

export const ledgerCheckCommand = command({
  name: "ledger check",
  usage: "",
  summary: "Recompute every balance from the postings and verify the ledger's invariants",
  needs: "database",
  parse: (args) => void parse(args, {}, false),
  run: async (_, { database }) => {
    // One snapshot for all queries, so a live instance cannot show a half-posted state.
    const { violations, summary } = await database.db.transaction(
      async (tx) => ({ violations: await checkLedger(tx), summary: await ledgerSummary(tx) }),
      { isolationLevel: "repeatable read", accessMode: "read only" },
    );
    const counts = `${summary.entries} entries, ${summary.postings} postings, ${summary.accounts} accounts`;
    if (violations.length === 0) {
      console.log(`ledger ok: ${counts}`);
      return 0;
    }
    console.error(`ledger check FAILED: ${violations.length} violation(s) in ${counts}`);
    for (const v of violations) console.error(`  ${v.rule}: ${v.message}`);
    return 1;
  },
});
