// One drizzle schema for PGlite and PostgreSQL, split by area. Add an area's file here.
export * from "./accounts.ts";
export * from "./federation.ts";
export * from "./flattr.ts";
export * from "./follows.ts";
export * from "./incoming.ts";
export * from "./ledger.ts";
export * from "./notifications.ts";
export * from "./oauth.ts";
export * from "./outbox.ts";
export * from "./payouts.ts";
export * from "./pledges.ts";
export * from "./remote.ts";
export * from "./settlement.ts";
export * from "./setup.ts";
export * from "./statuses.ts";
export * from "./tokens.ts";
