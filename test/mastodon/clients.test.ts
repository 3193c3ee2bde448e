import { createOAuthAPIClient, createRestAPIClient, MastoHttpError } from "masto";
import generator, { detector } from "megalodon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setBudget } from "../../src/flattr/budget.ts";
import { createPost } from "../../src/social/posts.ts";
import { expectLedgersSound, incomingFlattrs, settled } from "../federation/money-support.ts";
import { insertUser, socialOf, waitFor } from "../federation/support.ts";
import { deposit } from "../helpers/flattr.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { authorize, browser, createTestUser, pkce } from "../helpers/mastodon.ts";

/*
 * Real Mastodon client libraries against a listening instance: masto.js 8 and megalodon 10
 * register an app, the user authorizes it (PKCE) by walking the login and consent forms, the
 * libraries exchange the code, verify credentials, read the instance, post, resolve a post on
 * a second instance, follow its author, read the home timeline, favourite (= flattr: the Like
 * with the payment extension reaches the other instance), list favourites, unfavourite, and
 * revoke the token.
 */

let instance: TestInstance;
let other: TestInstance;
/** Carol's post on the second instance: what both libraries resolve, follow and star. */
let carolPostUri: string;
const REDIRECT = "http://127.0.0.1/callback";

beforeAll(async () => {
  [instance, other] = await Promise.all([startTestInstance(), startTestInstance()]);
  const { database, clock, config } = instance.deps;
  for (const [name, admin] of [
    ["alice", true],
    ["bob", false],
  ] as const) {
    const user = await createTestUser(instance, name, admin);
    await deposit(database.db, config, user.id, 1000n);
    await setBudget(database.db, clock, config, user.id, 500n);
  }
  const carol = await insertUser(other, "carol");
  const post = await createPost(socialOf(other), carol, { content: "Carol's post, worth a star" });
  if (!post.ok) throw post.error;
  carolPostUri = post.value.uri;
}, 120_000);
afterAll(async () => {
  await Promise.all([instance?.stop(), other?.stop()]);
});

/** The active incoming flattrs of Carol's post on the second instance, by payer handle. */
async function carolsStars(): Promise<string[]> {
  const rows = await incomingFlattrs(other);
  return rows.filter((r) => !r.withdrawn).map((r) => r.actor.replace(/^.*\/users\//, ""));
}

describe("masto.js", () => {
  it("signs in with PKCE, posts, resolves, follows and stars a post on another server, and is signed out by revoke", async () => {
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

    const mine = await client.v1.statuses.create({ status: "Hello from masto" });
    expect(mine.content).toBe("<p>Hello from masto</p>");
    const own = await client.v1.statuses
      .$select(mine.id)
      .favourite()
      .catch((e: unknown) => e);
    expect((own as MastoHttpError).statusCode).toBe(422);
    expect((own as MastoHttpError).message).toBe("This is your own post: you cannot flattr it.");

    const found = await client.v2.search.list({ q: carolPostUri, resolve: true });
    expect(found.statuses).toHaveLength(1);
    const carols = found.statuses[0]!;
    expect(carols.account.acct).toMatch(/^carol@127\.0\.0\.1:/);
    const rel = await client.v1.accounts.$select(carols.account.id).follow();
    expect(rel.following || rel.requested).toBe(true);
    await waitFor(async () => {
      const [r] = await client.v1.accounts.relationships.fetch({ id: [carols.account.id] });
      return r?.following;
    });
    const home = await client.v1.timelines.home.list();
    expect(home.map((st) => st.id)).toEqual(expect.arrayContaining([mine.id, carols.id]));

    const starred = await client.v1.statuses.$select(carols.id).favourite();
    expect(starred.favourited).toBe(true);
    expect(starred.favouritesCount).toBe(1);
    await waitFor(async () => (await carolsStars()).includes("alice"));
    const favourites = await client.v1.favourites.list();
    expect(favourites.map((st) => st.id)).toEqual([carols.id]);
    const unstarred = await client.v1.statuses.$select(carols.id).unfavourite();
    expect(unstarred.favourited).toBe(false);
    await waitFor(async () => !(await carolsStars()).includes("alice"));
    expect(await client.v1.favourites.list()).toEqual([]);

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
  it("detects a Mastodon server and runs the whole flow: sign-in, post, resolve, follow, star, revoke", async () => {
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

    const mine = await authed.postStatus("Hello from megalodon");
    const found = await authed.search(carolPostUri, { type: "statuses", resolve: true });
    expect(found.data.statuses).toHaveLength(1);
    const carols = found.data.statuses[0]!;
    await authed.followAccount(carols.account.id);
    await waitFor(async () => (await authed.getRelationship(carols.account.id)).data.following);
    const home = await authed.getHomeTimeline();
    expect(home.data.map((st) => st.id)).toEqual(
      expect.arrayContaining([(mine.data as { id: string }).id, carols.id]),
    );
    const starred = await authed.favouriteStatus(carols.id);
    expect(starred.data.favourited).toBe(true);
    await waitFor(async () => (await carolsStars()).includes("bob"));
    const favourites = await authed.getFavourites();
    expect(favourites.data.map((st) => st.id)).toEqual([carols.id]);
    const unstarred = await authed.unfavouriteStatus(carols.id);
    expect(unstarred.data.favourited).toBe(false);
    await waitFor(async () => !(await carolsStars()).includes("bob"));
    await settled(instance, other);
    await expectLedgersSound(instance, other);

    await client.revokeToken(app.client_id, app.client_secret, token.access_token);
    const refused = await authed
      .verifyAccountCredentials()
      .catch((e: { response?: { status: number } }) => e);
    expect((refused as { response?: { status: number } }).response?.status).toBe(401);
  });
});
