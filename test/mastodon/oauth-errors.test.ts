import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../src/accounts/tokens.ts";
import { registerThing } from "../../src/flattr/things.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import {
  authorize,
  browser,
  createTestUser,
  getJson,
  pkce,
  type RegisteredApp,
  registerApp,
  tokenRequest,
} from "../helpers/mastodon.ts";

/*
 * The OAuth error paths and the token rules across the two APIs (ADR 0008), on one listening
 * instance whose clock the tests move forward (code expiry).
 */

let instance: TestInstance;
let offsetMs = 0;
const REDIRECT = "http://127.0.0.1/callback";
let app: RegisteredApp;
let carolId: number;
let daveId: number;

beforeAll(async () => {
  instance = await startTestInstance({}, { clock: { now: () => new Date(Date.now() + offsetMs) } });
  carolId = (await createTestUser(instance, "carol")).id;
  daveId = (await createTestUser(instance, "dave")).id;
  app = await registerApp(instance, { redirect_uris: [REDIRECT, "myapp://cb"] });
});
afterAll(async () => {
  await instance?.stop();
});

const base = () => ({ client_id: app.client_id, redirect_uri: REDIRECT, response_type: "code" });

async function codeFor(query: Record<string, string> = {}, username = "carol") {
  const { location } = await authorize(browser(instance), { ...base(), ...query }, { username });
  return location;
}

const exchange = (code: string, extra: Record<string, string> = {}) =>
  tokenRequest(instance, {
    grant_type: "authorization_code",
    client_id: app.client_id,
    client_secret: app.client_secret,
    redirect_uri: REDIRECT,
    code,
    ...extra,
  });

async function userToken(scope: string): Promise<string> {
  const code = (await codeFor({ scope })).searchParams.get("code")!;
  const t = await exchange(code);
  expect(t.status).toBe(200);
  return t.json.access_token as string;
}

describe("authorization request", () => {
  it("shows a page for an unknown app or a foreign redirect URI, and sends nobody there", async () => {
    const web = browser(instance);
    const unknown = await web.get(
      `/oauth/authorize?${new URLSearchParams({ ...base(), client_id: "nope" })}`,
    );
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("unknown client_id");
    const foreign = await web.get(
      `/oauth/authorize?${new URLSearchParams({ ...base(), redirect_uri: "https://evil.example/cb" })}`,
    );
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get("location")).toBeNull();
  });

  it("sends other refusals back to the app with the state", async () => {
    const web = browser(instance);
    const res = await web.get(
      `/oauth/authorize?${new URLSearchParams({ ...base(), scope: "read admin:read", state: "xyz" })}`,
    );
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get("location")!);
    expect(to.searchParams.get("error")).toBe("invalid_scope");
    expect(to.searchParams.get("state")).toBe("xyz");
    const type = await web.get(
      `/oauth/authorize?${new URLSearchParams({ ...base(), response_type: "token" })}`,
    );
    expect(new URL(type.headers.get("location")!).searchParams.get("error")).toBe(
      "unsupported_response_type",
    );
  });

  it("answers a denial with access_denied and the state", async () => {
    const { location } = await authorize(
      browser(instance),
      { ...base(), state: "st" },
      { username: "carol", decision: "deny" },
    );
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("st");
    expect(location.searchParams.get("code")).toBeNull();
  });

  it("redirects to a custom scheme and shows the out-of-band code on a page", async () => {
    const custom = await codeFor({ redirect_uri: "myapp://cb" });
    expect(custom.protocol).toBe("myapp:");
    const oobApp = await registerApp(instance, { redirect_uris: "urn:ietf:wg:oauth:2.0:oob" });
    const web = browser(instance);
    const first = await authorize(
      web,
      { client_id: oobApp.client_id, response_type: "code" },
      {
        username: "carol",
      },
    ).catch((e: Error) => e);
    // The oob answer is a page, not a redirect: authorize() reports the 200.
    expect(String(first)).toContain("consent: 200");
    expect(String(first)).toContain('data-testid="oauth-code"');
  });

  it("asks for the password again with force_login", async () => {
    const web = browser(instance);
    await authorize(web, base(), { username: "carol" });
    const again = await web.get(
      `/oauth/authorize?${new URLSearchParams({ ...base(), force_login: "true" })}`,
    );
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('type="password"');
  });
});

describe("token endpoint", () => {
  it("refuses an unknown client and a wrong secret as invalid_client, and bad grants", async () => {
    const unknown = await tokenRequest(instance, {
      grant_type: "client_credentials",
      client_id: "nope",
      client_secret: "x",
    });
    expect(unknown.status).toBe(401);
    expect(unknown.json.error).toBe("invalid_client");
    expect(Object.keys(unknown.json).sort()).toEqual(["error", "error_description"]);
    const grant = await tokenRequest(instance, {
      grant_type: "password",
      client_id: app.client_id,
    });
    expect(grant.json.error).toBe("unsupported_grant_type");
    const wrongUri = await exchange((await codeFor()).searchParams.get("code")!, {
      redirect_uri: "myapp://cb",
    });
    expect(wrongUri.json.error).toBe("invalid_grant");
  });

  it("checks the PKCE verifier (S256 and plain) without spending the code on a wrong one", async () => {
    const { verifier, challenge } = pkce();
    const code = (
      await codeFor({ code_challenge: challenge, code_challenge_method: "S256" })
    ).searchParams.get("code")!;
    expect((await exchange(code)).json.error).toBe("invalid_grant");
    expect((await exchange(code, { code_verifier: pkce().verifier })).json.error).toBe(
      "invalid_grant",
    );
    expect((await exchange(code, { code_verifier: verifier })).status).toBe(200);
    const plain = pkce().verifier;
    const code2 = (
      await codeFor({ code_challenge: plain, code_challenge_method: "plain" })
    ).searchParams.get("code")!;
    expect((await exchange(code2, { code_verifier: plain })).status).toBe(200);
  });

  it("refuses a reused code and revokes the token it produced", async () => {
    const code = (await codeFor()).searchParams.get("code")!;
    const first = await exchange(code);
    const token = first.json.access_token as string;
    expect((await getJson(instance, "/api/v1/accounts/verify_credentials", token)).status).toBe(
      200,
    );
    const second = await exchange(code);
    expect(second.status).toBe(400);
    expect(second.json.error).toBe("invalid_grant");
    const after = await getJson(instance, "/api/v1/accounts/verify_credentials", token);
    expect(after.status).toBe(401);
    expect(after.json).toEqual({ error: "The access token is invalid" });
  });

  it("refuses a code older than ten minutes", async () => {
    const code = (await codeFor()).searchParams.get("code")!;
    offsetMs += 10 * 60_000 + 1000;
    try {
      expect((await exchange(code)).json.error).toBe("invalid_grant");
    } finally {
      offsetMs -= 10 * 60_000 + 1000;
    }
  });

  it("takes client credentials by HTTP Basic, and gives app-only tokens reading scopes only", async () => {
    const basic = Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64");
    const t = await tokenRequest(
      instance,
      { grant_type: "client_credentials", scope: "read write" },
      { authorization: `Basic ${basic}` },
    );
    expect(t.status).toBe(200);
    expect(t.json.scope).toBe("read");
    const token = t.json.access_token as string;
    const info = await getJson(instance, "/api/v1/apps/verify_credentials", token);
    expect(info.status).toBe(200);
    expect((info.json as { name: string }).name).toBe("Test app");
    const me = await getJson(instance, "/api/v1/accounts/verify_credentials", token);
    expect(me.status).toBe(422);
    expect(me.json).toEqual({ error: "This method requires an authenticated user" });
    const rest = await fetch(`${instance.origin}/api/flattr/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(rest.status).toBe(401);
  });
});

describe("revocation", () => {
  it("answers 200 {} for unknown tokens and 401 for a wrong client", async () => {
    const ok = await fetch(`${instance.origin}/oauth/revoke`, {
      method: "POST",
      body: new URLSearchParams({
        client_id: app.client_id,
        client_secret: app.client_secret,
        token: "nope",
      }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({});
    const bad = await fetch(`${instance.origin}/oauth/revoke`, {
      method: "POST",
      body: new URLSearchParams({
        client_id: app.client_id,
        client_secret: "wrong",
        token: "nope",
      }),
    });
    expect(bad.status).toBe(401);
    expect((await bad.json()).error).toBe("invalid_client");
  });
});

describe("scopes and the one token table", () => {
  it("refuses a granular scope the token lacks with 403, and allows the ones it has", async () => {
    const token = await userToken("read:accounts");
    expect((await getJson(instance, "/api/v1/accounts/verify_credentials", token)).status).toBe(
      200,
    );
    const lists = await getJson(instance, "/api/v1/lists", token);
    expect(lists.status).toBe(403);
    expect(lists.json).toEqual({ error: "This action is outside the authorized scopes" });
    // REST `read` needs Mastodon's `read` itself.
    const rest = await fetch(`${instance.origin}/api/flattr/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(rest.status).toBe(403);
  });

  it("gives a profile-only token who the user is, without source", async () => {
    const token = await userToken("profile");
    const me = await getJson(instance, "/api/v1/accounts/verify_credentials", token);
    expect(me.status).toBe(200);
    expect(me.json).not.toHaveProperty("source");
  });

  it("accepts personal access tokens on the Mastodon API", async () => {
    const { database, clock } = instance.deps;
    const { token } = await createToken(database.db, clock, carolId, {
      name: "dev",
      scopes: ["read"],
    });
    const me = await getJson(instance, "/api/v1/accounts/verify_credentials", token);
    expect(me.status).toBe(200);
    expect((me.json as { username: string }).username).toBe("carol");
    const info = await getJson(instance, "/api/v1/apps/verify_credentials", token);
    expect((info.json as { name: string }).name).toBe("Personal access token");
    expect((await getJson(instance, "/api/v1/lists", token)).status).toBe(200);
  });

  it("accepts OAuth tokens on the REST API: write and write:favourites may flattr, read may not", async () => {
    const { database, clock, config } = instance.deps;
    const { thing } = await registerThing(database.db, clock, config, daveId, {
      url: "https://dave.example/post",
      title: "Dave's post",
    });
    const write = await userToken("read write");
    const me = await fetch(`${instance.origin}/api/flattr/v1/me`, {
      headers: { authorization: `Bearer ${write}` },
    });
    expect(me.status).toBe(200);
    const flattr = (token: string) =>
      fetch(`${instance.origin}/api/flattr/v1/things/${thing.id}/flattr`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
    // Without a budget the flattr is refused by the rules, not by the token.
    const byWrite = await flattr(write);
    expect((await byWrite.json()).code).not.toMatch(/token|scope/);
    // The consent page says write:favourites may flattr: it may on both APIs.
    const favOnly = await userToken("write:favourites");
    const byFav = await flattr(favOnly);
    expect((await byFav.json()).code).not.toMatch(/token|scope/);
    const readOnly = await userToken("read");
    const byRead = await flattr(readOnly);
    expect(byRead.status).toBe(403);
    expect((await byRead.json()).code).toBe("insufficient_scope");
  });
});

describe("conventions", () => {
  it("routes with a trailing slash, answers JSON for unknown routes, and lists S256", async () => {
    expect((await getJson(instance, "/api/v1/instance/")).status).toBe(200);
    const missing = await getJson(instance, "/api/v1/nothing/here");
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: "Record not found" });
    const meta = await getJson(instance, "/.well-known/oauth-authorization-server");
    expect(
      (meta.json as { code_challenge_methods_supported: string[] })
        .code_challenge_methods_supported,
    ).toEqual(["S256", "plain"]);
    const cors = await fetch(`${instance.origin}/api/v1/instance`, {
      headers: { origin: "https://elk.example" },
    });
    expect(cors.headers.get("access-control-allow-origin")).toBe("*");
    expect(cors.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("reads app registrations as JSON, form, multipart or without a Content-Type", async () => {
    const post = (body: BodyInit, headers: Record<string, string> = {}) =>
      fetch(`${instance.origin}/api/v1/apps`, { method: "POST", body, headers });
    const form = new FormData();
    form.set("client_name", "multi");
    form.append("redirect_uris[]", REDIRECT);
    form.append("redirect_uris[]", "myapp://x");
    const multi = await (await post(form)).json();
    expect(multi.redirect_uris).toEqual([REDIRECT, "myapp://x"]);
    expect(multi.redirect_uri).toBe(`${REDIRECT}\nmyapp://x`);
    expect(multi.scopes).toEqual(["read"]);
    const bare = await post(
      `client_name=bare&redirect_uris=${encodeURIComponent(REDIRECT)}&scopes=read+write`,
    );
    expect((await bare.json()).scopes).toEqual(["read", "write"]);
    const bad = await post(
      JSON.stringify({ client_name: "x", redirect_uris: "javascript:alert(1)" }),
      {
        "content-type": "application/json",
      },
    );
    expect(bad.status).toBe(422);
    expect((await bad.json()).error).toMatch(/Validation failed/);
  });
});
