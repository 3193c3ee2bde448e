import { describe, expect, it } from "vitest";
import {
  buildTransferNotice,
  readTransferNotice,
} from "../../src/federation/vocab/transfer-notice.ts";
import { parseAmount } from "../../src/money/decimal.ts";

/*
 * A peer's transfer notice as read before anything is written: the notice as built reads back;
 * every malformed one is a message (the inbox answers it 400), never a throw — an unknown
 * currency included, which used to make the amount parser throw (an Offer's total is read the same way).
 */

const good = buildTransferNotice({
  id: "https://a.example/settlement/transfers/7",
  actor: "https://a.example/actor",
  to: "https://b.example/actor",
  direction: "sent",
  amount: 12_345n,
  currency: "EUR",
  reference: "SEPA-7",
  published: new Date("2027-04-03T12:00:00Z"),
});
// biome-ignore lint/suspicious/noExplicitAny: JSON documents.
type Json = any;
const edit = (f: (o: Json) => void): Json => {
  const copy: Json = structuredClone(good);
  f(copy);
  return copy;
};

describe("reading a transfer notice", () => {
  it("reads back what was built", () => {
    expect(readTransferNotice(good)).toMatchObject({
      id: "https://a.example/settlement/transfers/7",
      actor: "https://a.example/actor",
      direction: "sent",
      amount: 12_345n,
      currency: "EUR",
      reference: "SEPA-7",
    });
  });

  it("answers every malformed notice with a message", () => {
    const bad = [
      null,
      "text",
      edit((o) => delete o.object.flattrAmount),
      edit((o) => (o.object.flattrAmount = "-5.00")),
      edit((o) => (o.object.flattrAmount = "1.234")),
      edit((o) => (o.object.flattrAmount = "0")),
      edit((o) => (o.object.flattrCurrency = "ZZZ")),
      edit((o) => (o.object.flattrCurrency = "eur")),
      edit((o) => (o.object.flattrDirection = "lent")),
      edit((o) => (o.object.type = "Note")),
      edit((o) => (o.object.flattrReference = "")),
      edit((o) => (o.object.flattrReference = "x".repeat(201))),
      edit((o) => (o.actor = "not a url")),
      edit((o) => (o.id = "https://a.example/elsewhere")),
      edit((o) => (o.object.published = "yesterday")),
    ];
    for (const b of bad) expect(typeof readTransferNotice(b)).toBe("string");
  });

  it("an amount in a currency that is no ISO 4217 code is no amount, not an error", () => {
    expect(parseAmount("1.00", "ZZZ")).toBeNull();
    expect(parseAmount("1.00", "EUR")).toBe(100n);
  });
});
