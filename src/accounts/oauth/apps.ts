import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Clock } from "../../config/clock.ts";
import type { Db } from "../../db/client.ts";
import { oauthApps } from "../../db/schema/index.ts";
import { OAuthError } from "./errors.ts";
import { parseScopes, type Scope } from "./scopes.ts";

/*
 * OAuth clients (Mastodon "applications"). Registration is open to anyone, as on Mastodon: an app
 * is nothing until a user authorizes it. The client secret is returned once and only its SHA-256
 * stored (32 random bytes need no slow hash).
 */

export const OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob";
const MAX_NAME = 200;
const MAX_URI = 2000;
const MAX_REDIRECT_URIS = 20;

export interface OAuthApp {
  id: number;
  clientId: string;
  name: string;
  website: string | null;
  redirectUris: string[];
  scopes: Scope[];
  createdAt: Date;
}

export interface NewApp {
  name: string;
  /** Newline- or space-separated, or a list. */
  redirectUris: string | readonly string[];
  /** Space-separated; blank means `read`. */
  scopes?: string;
  website?: string;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const invalid = (message: string) => new OAuthError("invalid_request", message);
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A redirect URI an app may register: the out-of-band URN, or an absolute URI without a fragment
 * (custom schemes such as `myapp://callback` included: native apps need them). `javascript:`
 * and `data:` are refused, since the consent page sends the browser there.
 */
export function checkRedirectUri(uri: string): string {
  if (uri === OOB_REDIRECT_URI) return uri;
  if (uri.length > MAX_URI || CONTROL.test(uri))
    throw invalid("A redirect URI is too long or contains control characters.");
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid(`The redirect URI "${uri.slice(0, 100)}" is not an absolute URI.`);
  }
  if (url.hash !== "" || uri.includes("#"))
    throw invalid("A redirect URI must not contain a fragment (#).");
  if (["javascript:", "data:", "vbscript:", "file:", "blob:"].includes(url.protocol))
    throw invalid(`Redirect URIs with the scheme ${url.protocol} are not allowed.`);
  return uri;
}

function cleanName(raw: string): string {
  const name = raw.trim().replace(/\s+/g, " ");
  if (name === "") throw invalid("client_name is required.");
  if ([...name].length > MAX_NAME)
    throw invalid(`client_name is longer than ${MAX_NAME} characters.`);
  if (CONTROL.test(name)) throw invalid("client_name contains control characters.");
  return name;
}

function cleanWebsite(raw: string | undefined): string | null {
  const site = (raw ?? "").trim();
  if (site === "") return null;
  let url: URL;
  try {
    url = new URL(site);
  } catch {
    throw invalid("website must be an http(s) URL.");
  }
  if (!["http:", "https:"].includes(url.protocol) || site.length > MAX_URI)
    throw invalid("website must be an http(s) URL.");
  return site;
}

function splitRedirectUris(raw: string | readonly string[]): string[] {
  const list = typeof raw === "string" ? raw.split(/\s+/) : raw.flatMap((u) => u.split(/\s+/));
  const uris = [...new Set(list.filter((u) => u !== ""))];
  if (uris.length === 0) throw invalid("redirect_uris is required.");
  if (uris.length > MAX_REDIRECT_URIS)
    throw invalid(`At most ${MAX_REDIRECT_URIS} redirect URIs, please.`);
  return uris.map(checkRedirectUri);
}

const columns = {
  id: oauthApps.id,
  clientId: oauthApps.clientId,
  name: oauthApps.name,
  website: oauthApps.website,
  redirectUris: oauthApps.redirectUris,
  scopes: oauthApps.scopes,
  createdAt: oauthApps.createdAt,
};

type Row = { [K in keyof typeof columns]: unknown } & { scopes: string[] };
const toApp = (r: Row): OAuthApp => r as unknown as OAuthApp;

/** Registers an app; `clientSecret` is the plaintext, answered once. */
export async function registerApp(
  db: Db,
  clock: Clock,
  input: NewApp,
): Promise<{ app: OAuthApp; clientSecret: string }> {
  const name = cleanName(input.name);
  const redirectUris = splitRedirectUris(input.redirectUris);
  const parsed = parseScopes(input.scopes);
  if (!parsed.ok)
    throw new OAuthError("invalid_scope", `Unknown scopes: ${parsed.unknown.join(", ")}.`);
  const website = cleanWebsite(input.website);
  const clientId = randomBytes(32).toString("base64url");
  const clientSecret = randomBytes(32).toString("base64url");
  const [row] = await db
    .insert(oauthApps)
    .values({
      clientId,
      clientSecretHash: sha256(clientSecret),
      name,
      website,
      redirectUris,
      scopes: parsed.scopes,
      createdAt: clock.now(),
    })
    .returning(columns);
  return { app: toApp(row!), clientSecret };
}

export async function findAppByClientId(db: Db, clientId: string): Promise<OAuthApp | null> {
  if (clientId === "" || clientId.length > 200) return null;
  const [row] = await db.select(columns).from(oauthApps).where(eq(oauthApps.clientId, clientId));
  return row ? toApp(row) : null;
}

export async function findAppById(db: Db, id: number): Promise<OAuthApp | null> {
  if (!Number.isSafeInteger(id) || id < 1) return null;
  const [row] = await db.select(columns).from(oauthApps).where(eq(oauthApps.id, id));
  return row ? toApp(row) : null;
}

/** The app whose id and secret these are, or an `invalid_client` refusal. */
export async function authenticateClient(
  db: Db,
  clientId: string,
  clientSecret: string,
): Promise<OAuthApp> {
  const refusal = new OAuthError(
    "invalid_client",
    "Client authentication failed: unknown client or wrong secret.",
  );
  if (clientId === "" || clientId.length > 200 || clientSecret.length > 200) throw refusal;
  const [row] = await db
    .select({ ...columns, secretHash: oauthApps.clientSecretHash })
    .from(oauthApps)
    .where(eq(oauthApps.clientId, clientId));
  const expected = Buffer.from(row?.secretHash ?? sha256("no such client"), "hex");
  const sent = Buffer.from(sha256(clientSecret), "hex");
  if (!row || !timingSafeEqual(expected, sent)) throw refusal;
  const { secretHash: _, ...app } = row;
  return toApp(app);
}

/** Whether `uri` is one of the app's redirect URIs (exact match, as Mastodon compares them). */
export function appRedirects(app: OAuthApp, uri: string): boolean {
  return app.redirectUris.includes(uri);
}
