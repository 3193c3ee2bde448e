import { createRestAPIClient, MastoHttpError } from "masto";
import generator from "megalodon";
import { afterAll, beforeAll, expect, it } from "vitest";
import { registerApp } from "../../src/accounts/oauth/apps.ts";
import { issueOAuthToken } from "../../src/accounts/oauth/tokens.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { browser, createTestUser, getJson, PASSWORD } from "../helpers/mastodon.ts";

/*
 * A user's preferences through the Mastodon API: update_credentials' `source` (masto.js sends a
 * multipart form with `source[…]` keys, megalodon a JSON object), verify_credentials' `source`,
 * `/api/v1/preferences`, and the settings page that edits the reading ones. Posts here are
 * public only: another default visibility is refused and changes nothing.
 */

let instance: TestInstance;
let token: string;
let masto: ReturnType<typeof createRestAPIClient>;

beforeAll(async () => {
  instance = await startTestInstance();
  const { database, clock } = instance.deps;
  const user = await createTestUser(instance, "prefs");
  const { app } = await registerApp(database.db, clock, {
    name: "Preferences app",
    redirectUris: "urn:ietf:wg:oauth:2.0:oob",
    scopes: "read write",
  });
  token = (await issueOAuthToken(database.db, clock, app, user.id, ["read", "write"])).token;
  masto = createRestAPIClient({ url: instance.origin, accessToken: token });
}, 60_000);
afterAll(async () => {
  await instance?.stop();
});

const preferences = async () =>
  (await getJson(instance, "/api/v1/preferences", token)).json as Record<string, unknown>;

it("masto.js: the defaults, then source[sensitive] and source[language] round-trip", async () => {
  expect(await preferences()).toEqual({
    "posting:default:visibility": "public",
    "posting:default:sensitive": false,
    "posting:default:language": null,
    "reading:expand:media": "default",
    "reading:expand:spoilers": false,
    "reading:autoplay:gifs": false,
  });
  const updated = await masto.v1.accounts.updateCredentials({
    source: { privacy: "public", sensitive: true, language: "de" },
  });
  expect(updated.source).toMatchObject({ privacy: "public", sensitive: true, language: "de" });
  const me = await masto.v1.accounts.verifyCredentials();
  expect(me.source).toMatchObject({ privacy: "public", sensitive: true, language: "de" });
  expect(await preferences()).toMatchObject({
    "posting:default:visibility": "public",
    "posting:default:sensitive": true,
    "posting:default:language": "de",
  });

  // Only public posts exist here: unlisted is refused, and the name sent with it is not saved.
  const refused = await masto.v1.accounts
    .updateCredentials({ displayName: "Not saved", source: { privacy: "unlisted" } })
    .catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(MastoHttpError);
  expect((refused as MastoHttpError).statusCode).toBe(422);
  expect((refused as MastoHttpError).message).toMatch(/public only/);
  const after = await masto.v1.accounts.verifyCredentials();
  expect(after.displayName).toBe("");
  expect(after.source).toMatchObject({ privacy: "public", sensitive: true, language: "de" });
});

it("megalodon: a JSON source object round-trips; an unknown language is refused", async () => {
  const client = generator("mastodon", instance.origin, token);
  const updated = await client.updateCredentials({ source: { sensitive: false, language: "fr" } });
  expect(updated.data.source).toMatchObject({
    privacy: "public",
    sensitive: false,
    language: "fr",
  });
  const me = await client.verifyAccountCredentials();
  expect(me.data.source).toMatchObject({ sensitive: false, language: "fr" });
  const prefs = await client.getPreferences();
  expect(prefs.data).toMatchObject({
    "posting:default:visibility": "public",
    "posting:default:sensitive": false,
    "posting:default:language": "fr",
  });

  const refused = await client
    .updateCredentials({ note: "Not saved", source: { language: "xx" } })
    .catch((e: { response?: { status: number; data: { error: string } } }) => e.response);
  expect(refused).toMatchObject({ status: 422, data: { error: expect.stringMatching(/"xx"/) } });
  expect((await client.verifyAccountCredentials()).data).toMatchObject({
    note: "",
    source: { language: "fr" },
  });

  // A language that is no string is refused too, never read as "none".
  const notText = await fetch(`${instance.origin}/api/v1/accounts/update_credentials`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ source: { language: { code: "de" } } }),
  });
  expect(notText.status).toBe(422);
  expect((await preferences())["posting:default:language"]).toBe("fr");

  // An empty language clears it: the app decides again.
  await client.updateCredentials({ source: { language: "" } });
  expect((await preferences())["posting:default:language"]).toBeNull();
});

it("the settings page edits the same preferences; a bad choice changes nothing", async () => {
  const web = browser(instance);
  const login = await web.submit("/login", "/login", { username: "prefs", password: PASSWORD });
  expect(login.status).toBe(303);
  const page = await (await web.get("/settings")).text();
  expect(page).toContain("Posts on this server are public only");

  const saved = await web.submit("/settings", "/settings/preferences", {
    language: "nl",
    sensitive: "1",
    expandMedia: "show_all",
    expandSpoilers: "1",
  });
  expect(saved.status).toBe(303);
  expect(await preferences()).toEqual({
    "posting:default:visibility": "public",
    "posting:default:sensitive": true,
    "posting:default:language": "nl",
    "reading:expand:media": "show_all",
    "reading:expand:spoilers": true,
    "reading:autoplay:gifs": false,
  });
  expect(await (await web.get("/settings?preferences")).text()).toMatch(
    /<option value="nl" selected="">Dutch<\/option>/,
  );

  const bad = await web.submit("/settings", "/settings/preferences", {
    language: "",
    expandMedia: "sometimes",
  });
  expect(bad.status).toBe(422);
  expect(await bad.text()).toContain("Media must be shown by default, all shown or all hidden.");
  expect(await preferences()).toMatchObject({
    "posting:default:language": "nl",
    "posting:default:sensitive": true,
    "reading:expand:media": "show_all",
  });

  // Unchecked boxes are off.
  await web.submit("/settings", "/settings/preferences", {
    language: "nl",
    expandMedia: "hide_all",
  });
  expect(await preferences()).toMatchObject({
    "posting:default:sensitive": false,
    "reading:expand:media": "hide_all",
    "reading:expand:spoilers": false,
  });
});
