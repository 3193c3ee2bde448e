import { createOAuthAPIClient, createRestAPIClient, MastoHttpError } from "masto";
import generator, { detector } from "megalodon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { authorize, browser, createTestUser, pkce } from "../helpers/mastodon.ts";

/*
 * Real Mastodon client libraries against a listening instance: masto.js 8 and megalodon 10
 * register an app, the user authorizes it (PKCE) by walking the login and consent forms, the
 * libraries exchange the code, verify credentials, read the instance, and revoke the token.
 */

let instance: TestInstance;
const REDIRECT = "http://127.0.0.1/callback";

beforeAll(async () => {
  instance = await startTestInstance();
  await createTestUser(instance, "alice", true);
  await createTestUser(instance, "bob");
});
afterAll(async () => {
  await instance?.stop();
});

describe("masto.js", () => {
  it("signs in with PKCE, reads the account and the instance, and is signed out by revoke", async () => {
    const rest = createRestAPIClient({ url: instance.origin });
    const app = await rest.v1.apps.create({
      clientName: "masto test",
      redirectUris: REDIRECT,
      scopes: "read write follow push",
      website: "https://masto.example",
    });
    expect(app.clientId).toBeTruthy();
    expect(app.clientSecret).toBeTruthy();
    expect(app.redirectUris).toEqual([REDIRECT]);

    const { verifier, challenge } = pkce();
    const { location, consentHtml } = await authorize(
      browser(instance),
      {
        client_id: app.clientId!,
        redirect_uri: REDIRECT,
        response_type: "code",
        scope: "read write follow",
        state: "s t&ate",
        code_challenge: challenge,
        code_challenge_method: "S256",
        something_unknown: "ignored",
      },
      { username: "alice" },
    );
    expect(consentHtml).toContain("masto test");
    expect(consentHtml).toContain("https://masto.example");
    expect(consentHtml).toContain("This app can flattr for you");
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get("state")).toBe("s t&ate");
    const code = location.searchParams.get("code")!;

    const oauth = createOAuthAPIClient({ url: instance.origin });
    const token = await oauth.token.create({
      grantType: "authorization_code",
      clientId: app.clientId!,
      clientSecret: app.clientSecret!,
      redirectUri: REDIRECT,
      code,
      codeVerifier: verifier,
    } as Parameters<typeof oauth.token.create>[0]);
    expect(token.tokenType).toBe("Bearer");
    expect(token.scope).toBe("read write follow");

    const client = createRestAPIClient({ url: instance.origin, accessToken: token.accessToken });
    const me = await client.v1.accounts.verifyCredentials();
    expect(me.username).toBe("alice");
    expect(me.acct).toBe("alice");
    expect(me.source?.privacy).toBe("public");
    expect(me.avatar).toMatch(/\/avatars\/alice\.png$/);
    const avatar = await fetch(me.avatar);
    expect(avatar.headers.get("content-type")).toBe("image/png");

    const v1 = await client.v1.instance.fetch();
    expect(v1.version).toMatch(/^4\.3\.0 \(compatible; Fediflattr /);
    expect(v1.urls.streamingApi).toBe(instance.origin.replace(/^http/, "ws"));
    const v2 = await client.v2.instance.fetch();
    expect(v2.domain).toBe(new URL(instance.origin).host);
    expect(v2.configuration.urls.streaming).toBe(instance.origin.replace(/^http/, "ws"));
    expect(v2.configuration.statuses.maxCharacters).toBe(5000);
    expect(v2.contact.account?.username).toBe("alice");

    const appInfo = await client.v1.apps.verifyCredentials();
    expect(appInfo.name).toBe("masto test");

    await oauth.revoke({
      clientId: app.clientId!,
      clientSecret: app.clientSecret!,
      token: token.accessToken,
    });
    const refused = await client.v1.accounts.verifyCredentials().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MastoHttpError);
    expect((refused as MastoHttpError).statusCode).toBe(401);
  });
});

describe("megalodon", () => {
  it("detects a Mastodon server and runs the whole sign-in", async () => {
    expect(await detector(instance.origin)).toBe("mastodon");
    const client = generator("mastodon", instance.origin);
    const app = await client.registerApp("megalodon test", {
      scopes: ["read", "write"],
      redirect_uris: REDIRECT,
      website: "https://megalodon.example",
    });
    const { location } = await authorize(
      browser(instance),
      {
        client_id: app.client_id,
        redirect_uri: REDIRECT,
        response_type: "code",
        scope: "read write",
      },
      { username: "bob" },
    );
    const code = location.searchParams.get("code")!;
    const token = await client.fetchAccessToken(app.client_id, app.client_secret, code, REDIRECT);
    const authed = generator("mastodon", instance.origin, token.access_token);
    const me = await authed.verifyAccountCredentials();
    expect(me.data.username).toBe("bob");
    const inst = await authed.getInstance();
    expect(inst.data.uri).toBe(new URL(instance.origin).host);
    await client.revokeToken(app.client_id, app.client_secret, token.access_token);
    const refused = await authed
      .verifyAccountCredentials()
      .catch((e: { response?: { status: number } }) => e);
    expect((refused as { response?: { status: number } }).response?.status).toBe(401);
  });
});
