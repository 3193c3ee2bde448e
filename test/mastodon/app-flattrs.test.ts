import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { queryRows } from "../../src/db/client.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { checkLedger } from "../../src/ledger/index.ts";
import { createPost } from "../../src/social/posts.ts";
import { socialOf } from "../federation/support.ts";
import { deposit } from "../helpers/flattr.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import {
  authorize,
  browser,
  createTestUser,
  pkce,
  registerApp,
  tokenRequest,
} from "../helpers/mastodon.ts";

/*
 * Every flattr records the app that made it: the apps page shows what each app flattred this
 * month, and revoking an app may withdraw those flattrs (through the unflattr door).
 */

let instance: TestInstance;
beforeAll(async () => {
  instance = await startTestInstance();
});
afterAll(async () => {
  await instance?.stop();
});

it("shows an app's flattrs of the month and withdraws them when it is revoked", async () => {
  const { database, clock, config } = instance.deps;
  const db = database.db;
  const dora = await createTestUser(instance, "dora");
  const eve = await createTestUser(instance, "eve");
  await deposit(db, config, dora.id, 1000n);
  await setBudget(db, clock, config, dora.id, 500n);
  const posts = [];
  for (const text of ["Eve's first", "Eve's second"]) {
    const p = await createPost(socialOf(instance), eve.id, { content: text });
    if (!p.ok) throw p.error;
    posts.push(p.value.id);
  }

  const app = await registerApp(instance, { client_name: "Star Phone" });
  const web = browser(instance);
  const { verifier, challenge } = pkce();
  const { location } = await authorize(
    web,
    {
      client_id: app.client_id,
      redirect_uri: app.redirect_uri,
      response_type: "code",
      scope: "read write",
      code_challenge: challenge,
      code_challenge_method: "S256",
    },
    { username: "dora" },
  );
  const token = await tokenRequest(instance, {
    grant_type: "authorization_code",
    code: location.searchParams.get("code")!,
    client_id: app.client_id,
    client_secret: app.client_secret,
    redirect_uri: app.redirect_uri,
    code_verifier: verifier,
  });
  const accessToken = token.json.access_token as string;
  for (const id of posts) {
    const res = await fetch(`${instance.origin}/api/v1/statuses/${id}/favourite`, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(res.status).toBe(200);
  }
  const recorded = await queryRows<{ app_id: string | null }>(
    db,
    sql`select app_id::text from flattrs where payer_id = ${dora.id}`,
  );
  expect(recorded.map((r) => r.app_id)).toEqual([app.id, app.id]);

  const page = await (await web.get("/settings/apps")).text();
  expect(page).toContain("Star Phone");
  expect(page).toContain("It flattred 2 things this month");
  expect(page).toContain("@eve: Eve&#39;s first");

  const confirm = await (await web.get(`/settings/apps/${app.id}/revoke`)).text();
  expect(confirm).toContain("Also withdraw these 2 flattrs");
  const revoked = await web.submit(
    `/settings/apps/${app.id}/revoke`,
    `/settings/apps/${app.id}/revoke`,
    {
      withdraw: "1",
    },
  );
  expect(revoked.status).toBe(303);
  expect(revoked.headers.get("location")).toBe("/settings/apps?revoked&withdrawn=2");
  const after = await (await web.get(revoked.headers.get("location")!)).text();
  expect(after).toContain("2 of its flattrs this month withdrawn");

  const left = await queryRows<{ reason: string | null }>(
    db,
    sql`select withdrawn_reason as reason from flattrs where payer_id = ${dora.id}`,
  );
  expect(left.map((r) => r.reason)).toEqual(["unflattr", "unflattr"]);
  const refused = await fetch(`${instance.origin}/api/v1/accounts/verify_credentials`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  expect(refused.status).toBe(401);
  expect(await checkLedger(db)).toEqual([]);
});

it("the REST flattr takes OAuth tokens in its one statement: granular scope, app recorded, app-only refused", async () => {
  const { database, clock, config } = instance.deps;
  const db = database.db;
  const fay = await createTestUser(instance, "fay");
  const gus = await createTestUser(instance, "gus");
  await deposit(db, config, fay.id, 1000n);
  await setBudget(db, clock, config, fay.id, 500n);
  const things: number[] = [];
  for (const text of ["Gus one", "Gus two"]) {
    const p = await createPost(socialOf(instance), gus.id, { content: text });
    if (!p.ok) throw p.error;
    things.push(p.value.thingId);
  }

  const tokenFor = async (scope: string, clientName: string) => {
    const app = await registerApp(instance, { client_name: clientName, scopes: scope });
    const web = browser(instance);
    const { verifier, challenge } = pkce();
    const { location } = await authorize(
      web,
      {
        client_id: app.client_id,
        redirect_uri: app.redirect_uri,
        response_type: "code",
        scope,
        code_challenge: challenge,
        code_challenge_method: "S256",
      },
      { username: "fay" },
    );
    const t = await tokenRequest(instance, {
      grant_type: "authorization_code",
      code: location.searchParams.get("code")!,
      client_id: app.client_id,
      client_secret: app.client_secret,
      redirect_uri: app.redirect_uri,
      code_verifier: verifier,
    });
    return { app, token: t.json.access_token as string };
  };
  const restFlattr = (token: string, thingId: number) =>
    fetch(`${instance.origin}/api/flattr/v1/things/${thingId}/flattr`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });

  const reader = await tokenFor("read", "Read Only");
  const refusedRead = await restFlattr(reader.token, things[0]!);
  expect(refusedRead.status).toBe(403);
  expect((await refusedRead.json()).code).toBe("insufficient_scope");

  const appOnlyApp = await registerApp(instance, { client_name: "No User", scopes: "read write" });
  const appOnly = await tokenRequest(instance, {
    grant_type: "client_credentials",
    client_id: appOnlyApp.client_id,
    client_secret: appOnlyApp.client_secret,
  });
  expect(appOnly.status).toBe(200);
  expect((await restFlattr(appOnly.json.access_token as string, things[0]!)).status).toBe(401);

  const stars = await tokenFor("write:favourites", "Stars Only");
  for (const id of things) expect((await restFlattr(stars.token, id)).status).toBe(201);
  const recorded = await queryRows<{ app_id: string | null }>(
    db,
    sql`select app_id::text from flattrs where payer_id = ${fay.id} order by id`,
  );
  expect(recorded.map((r) => r.app_id)).toEqual([stars.app.id, stars.app.id]);
  expect(await checkLedger(db)).toEqual([]);
});
