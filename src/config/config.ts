import { isCurrency } from "../money/currency.ts";
import { parseAmount } from "../money/decimal.ts";

export type Registration = "open" | "invite" | "closed";
export type NodeType = "web" | "worker" | "all";

export interface Config {
  origin: URL;
  port: number;
  /** The address the web server binds (HOST; 0.0.0.0 = every IPv4 interface, :: = every one). */
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  currency: string;
  timeZone: string;
  feeBp: number;
  minBudget: bigint;
  maxBudget: bigint;
  registration: Registration;
  nodeType: NodeType;
  logLevel: "debug" | "info" | "warning" | "error";
  /** Test/dev only: lets Fedify fetch and deliver to 127.0.0.1 and other private addresses. */
  allowPrivateAddress: boolean;
  /** Trust X-Forwarded-For for client IPs (behind a reverse proxy). */
  trustProxy: boolean;
  signupRateLimit: { max: number; windowSeconds: number };
  /** Failed logins per IP and account (its username and e-mail share one budget). */
  loginRateLimit: { max: number; windowSeconds: number };
  /** Failed logins per IP, across every name it tries. */
  loginIpRateLimit: { max: number; windowSeconds: number };
  invitesPerUser: number;
  /** Grace after a period ends before the worker closes it. */
  closeGraceSeconds: number;
  /** Where users send bank transfers to top up their wallets (shown on the wallet page). */
  bank: { accountHolder: string | undefined; iban: string | undefined };
  /** Day of month M+1 on which revenue of month M becomes payable (Flattr: the 10th). */
  settlementDay: number;
  /** Months after its period's end that an unclaimed creator's share is held before it returns to the payer. */
  pledgeHoldMonths: number;
  /** Send unclaimed creators one direct mention a month saying money waits for them. */
  pledgeNotice: boolean;
  /** Payable earnings below this (minor units) cannot be requested as a payout (Flattr: €10). */
  payoutMinimum: bigint;
  /** BIC of BANK_IBAN, for the debtor agent of SEPA payout files (optional there). */
  bankBic: string | undefined;
  /** Flattrs (including later withdrawn ones) one user may make per window. */
  flattrRateLimit: { max: number; windowSeconds: number };
  /** Sanity limit: active flattrs one user may have in one period. */
  maxFlattrsPerPeriod: number;
  /** Payers per batch (one transaction each) in the month close. */
  closeBatchSize: number;
  /** Largest inbox POST body read; a longer one is cut off while it is read (413). */
  inboxMaxBytes: number;
  /** Inbox POSTs per client IP, counted before the signature is checked. */
  inboxIpRateLimit: { max: number; windowSeconds: number };
  /** Inbound activities per remote server (the verified signer's host). */
  inboxRateLimit: { max: number; windowSeconds: number };
  /** Largest document federation fetches (actors, keys, contexts, objects). */
  fetchMaxBytes: number;
  /** Federation queue messages (inbound activities, deliveries) one worker handles at once. */
  queueConcurrency: number;
  /** Deposits above this (minor units) are recorded only when the admin confirms the amount. */
  depositConfirmAbove: bigint;
  /** What Mastodon apps show about the instance (GET /api/v1/instance). */
  instance: { title: string; description: string; contactEmail: string };
  /** OAuth app registrations (POST /api/v1/apps, open to anyone) per IP. */
  appRateLimit: { max: number; windowSeconds: number };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v === "" ? fallback : v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name, String(fallback));
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, values: readonly T[]): T {
  const raw = str(env, name, fallback);
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${values.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name, fallback ? "true" : "false").toLowerCase();
  if (["1", "true", "yes"].includes(raw)) return true;
  if (["0", "false", "no"].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function rate(env: Env, name: string, fallback: string): { max: number; windowSeconds: number } {
  const raw = str(env, name, fallback);
  const m = /^(\d+)\/(\d+)$/.exec(raw);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) {
    throw new ConfigError(name, `must look like COUNT/SECONDS (e.g. 5/3600), got "${raw}"`);
  }
  return { max: Number(m[1]), windowSeconds: Number(m[2]) };
}

/** An IBAN, spaces removed, checked with its ISO 7064 mod-97 check digits. */
function iban(env: Env, name: string): string | undefined {
  const raw = str(env, name, "").replace(/\s+/g, "").toUpperCase();
  if (raw === "") return undefined;
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(raw)) {
    throw new ConfigError(name, `not an IBAN: "${env[name]}"`);
  }
  const digits = (raw.slice(4) + raw.slice(0, 4)).replace(/[A-Z]/g, (ch) =>
    String(ch.charCodeAt(0) - 55),
  );
  let rest = 0;
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  if (rest !== 1)
    throw new ConfigError(name, `the IBAN's check digits do not match: "${env[name]}"`);
  return raw;
}

/** The only place that reads the environment. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const originRaw = str(env, "ORIGIN", "http://localhost:8080");
  let origin: URL;
  try {
    origin = new URL(originRaw);
  } catch {
    throw new ConfigError("ORIGIN", `must be an absolute URL, got "${originRaw}"`);
  }
  if (!["http:", "https:"].includes(origin.protocol) || origin.pathname !== "/" || origin.search) {
    throw new ConfigError("ORIGIN", `must be an http(s) origin without path, got "${originRaw}"`);
  }

  const currency = str(env, "CURRENCY", "EUR");
  if (!isCurrency(currency))
    throw new ConfigError("CURRENCY", `not an ISO 4217 code: "${currency}"`);

  const timeZone = str(env, "TIME_ZONE", "UTC");
  try {
    new Intl.DateTimeFormat("en", { timeZone });
  } catch {
    throw new ConfigError("TIME_ZONE", `not an IANA time zone: "${timeZone}"`);
  }

  const amount = (name: string, fallback: string): bigint => {
    const raw = str(env, name, fallback);
    const v = parseAmount(raw, currency);
    if (v === null)
      throw new ConfigError(name, `must be a decimal amount in ${currency}, got "${raw}"`);
    return v;
  };
  const minBudget = amount("MIN_BUDGET", "2.00");
  const maxBudget = amount("MAX_BUDGET", "100.00");
  if (minBudget <= 0n) throw new ConfigError("MIN_BUDGET", "must be greater than zero");
  if (maxBudget < minBudget) throw new ConfigError("MAX_BUDGET", "must not be below MIN_BUDGET");
  // Whole units, so the default parses in every currency (JPY has no minor unit).
  const depositConfirmAbove = amount("DEPOSIT_CONFIRM_ABOVE", "1000");
  const payoutMinimum = amount("PAYOUT_MINIMUM", "10");
  if (payoutMinimum <= 0n) throw new ConfigError("PAYOUT_MINIMUM", "must be greater than zero");
  const bankBic = str(env, "BANK_BIC", "").replace(/\s+/g, "").toUpperCase() || undefined;
  if (bankBic !== undefined && !/^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(bankBic))
    throw new ConfigError("BANK_BIC", `not a BIC: "${env.BANK_BIC}"`);

  const databaseUrl = str(env, "DATABASE_URL", "") || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL", "must be a postgres:// or postgresql:// URL");
  }

  return {
    origin,
    port: int(env, "PORT", Number(origin.port) || 8080, 1, 65535),
    host: host(env, "HOST"),
    dataDir: str(env, "DATA_DIR", "./data"),
    databaseUrl,
    currency,
    timeZone,
    feeBp: int(env, "FEE_BP", 0, 0, 10000),
    minBudget,
    maxBudget,
    registration: oneOf(env, "REGISTRATION", "invite", ["open", "invite", "closed"] as const),
    nodeType: oneOf(env, "NODE_TYPE", "all", ["web", "worker", "all"] as const),
    logLevel: oneOf(env, "LOG_LEVEL", "info", ["debug", "info", "warning", "error"] as const),
    allowPrivateAddress: bool(env, "ALLOW_PRIVATE_ADDRESS", false),
    trustProxy: bool(env, "TRUST_PROXY", false),
    signupRateLimit: rate(env, "SIGNUP_RATE_LIMIT", "5/3600"),
    loginRateLimit: rate(env, "LOGIN_RATE_LIMIT", "10/900"),
    loginIpRateLimit: rate(env, "LOGIN_IP_RATE_LIMIT", "30/900"),
    invitesPerUser: int(env, "INVITES_PER_USER", 3, 0, 1000),
    closeGraceSeconds: int(env, "CLOSE_GRACE_SECONDS", 3600, 0, 31 * 86400),
    settlementDay: int(env, "SETTLEMENT_DAY", 10, 1, 28),
    pledgeHoldMonths: int(env, "PLEDGE_HOLD_MONTHS", 6, 0, 120),
    pledgeNotice: bool(env, "PLEDGE_NOTICE", false),
    payoutMinimum,
    bankBic,
    bank: {
      accountHolder: str(env, "BANK_ACCOUNT_HOLDER", "") || undefined,
      iban: iban(env, "BANK_IBAN"),
    },
    flattrRateLimit: rate(env, "FLATTR_RATE_LIMIT", "30/60"),
    maxFlattrsPerPeriod: int(env, "MAX_FLATTRS_PER_PERIOD", 1000, 1, 1_000_000),
    closeBatchSize: int(env, "CLOSE_BATCH_SIZE", 5000, 1, 100_000),
    inboxMaxBytes: int(env, "INBOX_MAX_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
    inboxIpRateLimit: rate(env, "INBOX_IP_RATE_LIMIT", "600/60"),
    inboxRateLimit: rate(env, "INBOX_RATE_LIMIT", "300/60"),
    fetchMaxBytes: int(env, "FETCH_MAX_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
    queueConcurrency: int(env, "QUEUE_CONCURRENCY", 8, 1, 256),
    depositConfirmAbove,
    instance: {
      title: text(env, "INSTANCE_TITLE", "Fediflattr", 200),
      description: text(
        env,
        "INSTANCE_DESCRIPTION",
        "Flattr for the fediverse: a monthly budget, split over what you flattr.",
        2000,
      ),
      contactEmail: text(env, "CONTACT_EMAIL", "", 300),
    },
    appRateLimit: rate(env, "APP_RATE_LIMIT", "30/3600"),
  };
}

/** A bind address: an IPv4 or IPv6 address or a host name, without port or brackets. */
function host(env: Env, name: string): string {
  const raw = str(env, name, "0.0.0.0").trim();
  if (
    !/^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.%A-Za-z]*)$/.test(
      raw,
    )
  )
    throw new ConfigError(name, `must be an IP address or a host name (no port), got "${raw}"`);
  return raw;
}

/** Free text for people (titles, descriptions): trimmed, bounded, no control characters. */
function text(env: Env, name: string, fallback: string, max: number): string {
  const raw = str(env, name, fallback).trim();
  if ([...raw].length > max) throw new ConfigError(name, `must be at most ${max} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(raw))
    throw new ConfigError(name, "must not contain control characters");
  return raw;
}

/** A config for tests: defaults plus overrides, never reading process.env. */
export function testConfig(overrides: Env = {}): Config {
  return loadConfig({ ALLOW_PRIVATE_ADDRESS: "true", REGISTRATION: "open", ...overrides });
}
