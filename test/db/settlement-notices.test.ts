// Transfer notices as the database keeps them (issue 10 point 6): a recorded transfer owes the
// peer a notice until it is taken (with backoff after a failure); a peer's notice is kept only
// from an admitted peer, in our currency, once per reference, and never as money; both sides list
// the mismatches of their records and the other's notices on `fediflattr clearing` and on
// /admin/settlements. The wire (signed Announce, two instances) is in
// test/federation/settlement-edges.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/config/clock.ts";
import { type Config, testConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { balanceOf, checkLedger, clearingAccount } from "../../src/ledger/index.ts";
import { admitPeer } from "../../src/peers/admission.ts";
import { recordTransfer } from "../../src/settlement/clearing.ts";
import {
  dueTransferNotices,
  recordNoticeDelivery,
  recordTransferNotice,
} from "../../src/settlement/transfer-notices.ts";
import { runCliWith } from "../helpers/cli.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { moneyApp, textOf } from "../helpers/money-pages.ts";

const A = "a.example";
const config: Config = testConfig({ ORIGIN: `http://b.example`, FEE_BP: "0" });
let database: Database;
const now = fixedClock("2027-04-03T12:00:00Z");
const later = (ms: number) => fixedClock(new Date(now.now().getTime() + ms));

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const notice = (reference: string, amount: bigint, direction: "sent" | "received" = "sent") => ({
  peerHost: A,
  direction,
  amount,
  currency: "EUR",
  reference,
  raw: JSON.stringify({ reference }),
});

describe("transfer notices", () => {
  it("a recorded transfer owes the peer a notice until it is taken, with backoff", async () => {
    const db = database.db;
    const r = await recordTransfer(db, now, config, {
      peer: A,
      amount: "3.00",
      reference: "OUT-1",
      direction: "sent",
    });
    expect(r.ok).toBe(true);
    const [due] = await dueTransferNotices(db, now.now());
    expect(due).toMatchObject({ reference: "OUT-1", direction: "sent", amount: 300n });
    // Recording it again owes nothing new.
    await recordTransfer(db, now, config, {
      peer: A,
      amount: "3.00",
      reference: "OUT-1",
      direction: "sent",
    });
    expect(await dueTransferNotices(db, now.now())).toHaveLength(1);
    await recordNoticeDelivery(db, now, due!.id, "connection refused");
    expect(await dueTransferNotices(db, now.now())).toHaveLength(0);
    expect(await dueTransferNotices(db, later(30_000).now())).toHaveLength(1);
    await recordNoticeDelivery(db, later(30_000), due!.id, null);
    expect(await dueTransferNotices(db, later(86_400_000).now())).toHaveLength(0);
  });

  it("a peer's notice is kept once, from an admitted peer, in our currency; never money", async () => {
    const db = database.db;
    const refused = await recordTransferNotice(db, now, config, notice("IN-1", 500n));
    expect(!refused.ok && refused.error.code).toBe("peer_not_admitted");
    await admitPeer(db, now, config, A);
    const net = await balanceOf(db, clearingAccount(A), "EUR");
    expect(await recordTransferNotice(db, now, config, notice("IN-1", 500n))).toMatchObject({
      ok: true,
      value: { replayed: false },
    });
    expect(await recordTransferNotice(db, now, config, notice("IN-1", 500n))).toMatchObject({
      ok: true,
      value: { replayed: true },
    });
    const other = await recordTransferNotice(db, now, config, notice("IN-1", 600n));
    expect(!other.ok && other.error.code).toBe("transfer_notice_conflict");
    const usd = await recordTransferNotice(db, now, config, {
      ...notice("IN-2", 500n),
      currency: "USD",
    });
    expect(!usd.ok && usd.error.code).toBe("invalid_transfer");
    expect(await balanceOf(db, clearingAccount(A), "EUR")).toBe(net);
    expect(await checkLedger(db)).toEqual([]);
  });

  it("fediflattr clearing and /admin/settlements show every mismatch", async () => {
    const db = database.db;
    // A says it received OUT-1 (3.00): matches. It says it sent IN-1 (5.00): not recorded here.
    await recordTransferNotice(db, now, config, notice("OUT-1", 300n, "received"));
    // Recorded here as received, 4.00, IN-3; A says it sent 4.50.
    await recordTransfer(db, now, config, {
      peer: A,
      amount: "4.00",
      reference: "IN-3",
      direction: "received",
    });
    await recordTransferNotice(db, now, config, notice("IN-3", 450n));
    const cli = await runCliWith(["clearing"], { deps: { config, database, clock: now } });
    expect(cli.code).toBe(0);
    const mismatches = cli.stdout.split("\n").filter((l) => l.startsWith("MISMATCH"));
    expect(mismatches).toEqual([
      `MISMATCH\t${A}\t${A} says it sent 5.00 EUR ("IN-1"); not recorded as received here.`,
      `MISMATCH\t${A}\t"IN-3": ${A} says it sent 4.50 EUR; recorded here as received: 4.00 EUR.`,
    ]);
    expect(cli.stdout).toContain(
      "they say they sent 9.50; they say they received 3.00; MISMATCH (2)",
    );

    const { user, as } = moneyApp(config, database, now);
    const admin = await as(await user(undefined, { admin: true }));
    const text = textOf(await (await admin.get("/admin/settlements")).text());
    expect(text).toContain("Transfers that do not match");
    expect(text).toContain(
      `${A}: ${A} says it sent 5.00 EUR ("IN-1"); not recorded as received here.`,
    );
    expect(text).toContain("they say they sent €9.50 they say they received €3.00 mismatch (2)");
  });
});
