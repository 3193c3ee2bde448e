import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/config.ts";

describe("loadConfig", () => {
  it("has defaults that start an instance on localhost:8080", () => {
    const c = loadConfig({});
    expect(c.origin.href).toBe("http://localhost:8080/");
    expect(c.port).toBe(8080);
    expect(c.currency).toBe("EUR");
    expect(c.timeZone).toBe("UTC");
    expect(c.minBudget).toBe(200n);
    expect(c.maxBudget).toBe(10000n);
    expect(c.registration).toBe("invite");
    expect(c.nodeType).toBe("all");
    expect(c.feeBp).toBe(0);
    expect(c.inboxMaxBytes).toBe(1024 * 1024);
    expect(c.inboxRateLimit).toEqual({ max: 300, windowSeconds: 60 });
    expect(c.inboxIpRateLimit).toEqual({ max: 600, windowSeconds: 60 });
    expect(c.fetchMaxBytes).toBe(1024 * 1024);
    expect(c.queueConcurrency).toBe(8);
  });

  it.each([
    ["ORIGIN", "not a url"],
    ["ORIGIN", "ftp://x.example/"],
    ["ORIGIN", "https://x.example/path"],
    ["PORT", "80a"],
    ["PORT", "70000"],
    ["CURRENCY", "EURO"],
    ["CURRENCY", "XYZ"],
    ["TIME_ZONE", "Mars/Olympus"],
    ["FEE_BP", "10001"],
    ["FEE_BP", "-1"],
    ["MIN_BUDGET", "2.001"],
    ["MIN_BUDGET", "0"],
    ["MAX_BUDGET", "1.00"],
    ["REGISTRATION", "maybe"],
    ["NODE_TYPE", "db"],
    ["DATABASE_URL", "mysql://x"],
    ["SIGNUP_RATE_LIMIT", "5 per hour"],
    ["BANK_IBAN", "DE89 3704 0044 0532 0130 01"],
    ["BANK_IBAN", "not an iban"],
    ["SETTLEMENT_DAY", "31"],
    ["INBOX_MAX_BYTES", "100"],
    ["INBOX_MAX_BYTES", "1MB"],
    ["INBOX_RATE_LIMIT", "300"],
    ["INBOX_IP_RATE_LIMIT", "0/60"],
    ["FETCH_MAX_BYTES", "999999999999"],
    ["QUEUE_CONCURRENCY", "0"],
    ["DEPOSIT_CONFIRM_ABOVE", "lots"],
    ["DEPOSIT_CONFIRM_ABOVE", "-1"],
    ["DEPOSIT_CONFIRM_ABOVE", "1000.001"],
  ])("rejects %s=%s naming the variable", (name, value) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
    expect((err as Error).message).toContain(name);
  });

  it("reads budgets in the currency's minor units", () => {
    expect(loadConfig({ CURRENCY: "JPY", MIN_BUDGET: "200", MAX_BUDGET: "10000" }).minBudget).toBe(
      200n,
    );
    expect(() => loadConfig({ CURRENCY: "JPY", MIN_BUDGET: "2.00" })).toThrow(/MIN_BUDGET/);
  });

  it("asks to confirm deposits above 1000 units of the currency unless told otherwise", () => {
    expect(loadConfig({}).depositConfirmAbove).toBe(100000n);
    expect(
      loadConfig({ CURRENCY: "JPY", MIN_BUDGET: "200", MAX_BUDGET: "10000" }).depositConfirmAbove,
    ).toBe(1000n);
    expect(loadConfig({ DEPOSIT_CONFIRM_ABOVE: "250.50" }).depositConfirmAbove).toBe(25050n);
    expect(loadConfig({ DEPOSIT_CONFIRM_ABOVE: "0" }).depositConfirmAbove).toBe(0n);
  });

  it("accepts a valid IBAN with spaces and keeps it compact", () => {
    const c = loadConfig({
      BANK_IBAN: "de89 3704 0044 0532 0130 00",
      BANK_ACCOUNT_HOLDER: "Flattr e.V.",
    });
    expect(c.bank).toEqual({ accountHolder: "Flattr e.V.", iban: "DE89370400440532013000" });
  });
});
