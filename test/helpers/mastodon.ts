import { createHash, randomBytes } from "node:crypto";
import { createUser } from "../../src/accounts/users.ts";
import type { TestInstance } from "./instance.ts";
import { csrfTokenOf, WebClient } from "./web-client.ts";

/*
 * Signing in to a listening instance as a Mastodon app does, with a plain HTTP client that keeps
 * cookies and walks the login and consent forms (test/browser/ does the same in Chromium).
 */

export const PASSWORD = "correct horse battery staple";

export async function createTestUser(instance: TestInstance, username: string, admin = false) {
  const { database, clock } = instance.deps;
  return createUser(database.db, clock, {
    username,
    email: `${username}@example.test`,
    password: PASSWORD,
    isAdmin: admin,
  });
}

export function browser(instance: TestInstance): WebClient {
  return new WebClient((r) => fetch(r), instance.origin);
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface RegisteredApp {
  id: string;
  client_id: string;
  client_secret: string;
  redirect_uri: string;
  redirect_uris: string[];
  scopes: string[];
}

export async function registerApp(
  instance: TestInstance,
  body: Record<string, unknown> = {},
): Promise<RegisteredApp> {
  const res = await fetch(`${instance.origin}/api/v1/apps`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "Test app",
      redirect_uris: "http://127.0.0.1/callback",
      scopes: "read write follow push",
      website: "https://app.example",
      ...body,
    }),
  });
  if (res.status !== 200) throw new Error(`app registration: ${res.status} ${await res.text()}`);
  return (await res.json()) as RegisteredApp;
}

/** The hidden fields of the consent form on `html`. */
export function consentFields(html: string): Record<string, string> {
  const fields: Record<string, string> = { _csrf: csrfTokenOf(html) };
  const form = html.slice(html.indexOf('action="/oauth/authorize"'));
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
    fields[m[1]!] = m[2]!
      .replace(/&amp;/g, "&")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'");
  return fields;
}

/**
 * Opens `/oauth/authorize?…` in `web` (logging in as `username` when the page asks), answers the
 * consent form with `decision`, and returns where the browser was sent.
 */
export async function authorize(
  web: WebClient,
  query: Record<string, string>,
  options: { username?: string; decision?: "approve" | "deny" } = {},
): Promise<{ location: URL; consentHtml: string }> {
  const path = `/oauth/authorize?${new URLSearchParams(query)}`;
  let res = await web.get(path);
  if (res.status === 303 && res.headers.get("location")?.startsWith("/login")) {
    const next = new URL(res.headers.get("location")!, web.origin).searchParams.get("next")!;
    const login = await web.submit(`/login?next=${encodeURIComponent(next)}`, "/login", {
      username: options.username ?? "",
      password: PASSWORD,
      next,
    });
    if (login.status !== 303) throw new Error(`login: ${login.status}`);
    res = await web.get(login.headers.get("location")!);
  }
  const consentHtml = await res.text();
  if (res.status !== 200)
    throw new Error(`consent page: ${res.status} ${consentHtml.slice(0, 300)}`);
  const answer = await web.post("/oauth/authorize", {
    ...consentFields(consentHtml),
    decision: options.decision ?? "approve",
  });
  if (answer.status !== 303) throw new Error(`consent: ${answer.status} ${await answer.text()}`);
  return { location: new URL(answer.headers.get("location")!), consentHtml };
}

export async function tokenRequest(
  instance: TestInstance,
  body: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${instance.origin}/oauth/token`, {
    method: "POST",
    headers,
    body: new URLSearchParams(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export async function getJson(
  instance: TestInstance,
  path: string,
  token?: string,
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(`${instance.origin}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path}: not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
  return { status: res.status, json, headers: res.headers };
}
