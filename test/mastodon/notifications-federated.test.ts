import { createRestAPIClient, createStreamingAPIClient, type mastodon } from "masto";
import generator from "megalodon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../src/accounts/tokens.ts";
import { unwrap } from "../../src/errors.ts";
import { setBudget } from "../../src/flattr/budget.ts";
import { createPost } from "../../src/social/posts.ts";
import { insertUser, socialOf, waitFor } from "../federation/support.ts";
import { deposit } from "../helpers/flattr.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";

/*
 * Notifications across servers (issue 11 point 5: "see the notification on the other side"):
 * alice on one instance stars (= flattrs), follows and mentions carol on another through masto;
 * carol's app sees each arrive live on her user stream and in her notifications (megalodon),
 * and the unstar takes the favourite back. Everything travels as signed activities between
 * two listening instances; on the receiving side the inbox's worker writes the rows whose
 * triggers notify.
 */

let here: TestInstance;
let there: TestInstance;
let aliceToken: string;
let carolToken: string;
let carolPostUri: string;

beforeAll(async () => {
  [here, there] = await Promise.all([startTestInstance(), startTestInstance()]);
  const { database, clock, config } = here.deps;
  const alice = await insertUser(here, "alice");
  await deposit(database.db, config, alice, 1000n);
  await setBudget(database.db, clock, config, alice, 500n);
  aliceToken = (await createToken(database.db, clock, alice, { name: "masto" })).token;
  const carol = await insertUser(there, "carol");
  carolToken = (
    await createToken(there.deps.database.db, there.deps.clock, carol, { name: "megalodon" })
  ).token;
  carolPostUri = unwrap(await createPost(socialOf(there), carol, { content: "Star me" })).uri;
}, 120_000);
afterAll(async () => {
  await Promise.all([here?.stop(), there?.stop()]);
});

describe("notifications from another server", () => {
  it("arrive live and in the list for a star (a flattr), a follow and a mention; an unstar takes its one back", async () => {
    const carolsApp = generator("mastodon", there.origin, carolToken);
    const streaming = createStreamingAPIClient({
      streamingApiUrl: there.origin.replace(/^http/, "ws"),
      accessToken: carolToken,
      retry: false,
    });
    const live: mastodon.streaming.Event[] = [];
    const subscription = streaming.user.notification.subscribe();
    const reading = (async () => {
      for await (const e of subscription) live.push(e);
    })().catch(() => {});
    const carolId = Number((await carolsApp.verifyAccountCredentials()).data.id);
    await waitFor(async () => there.streaming.streamsOf(carolId).includes("user:notification"));

    const alice = createRestAPIClient({ url: here.origin, accessToken: aliceToken });
    const [post] = (await alice.v2.search.list({ q: carolPostUri, resolve: true })).statuses;
    await alice.v1.statuses.$select(post!.id).favourite();
    await alice.v1.accounts.$select(post!.account.id).follow();
    await alice.v1.statuses.create({ status: `@${post!.account.acct} thank you` });

    const types = () => live.map((e) => (e.payload as mastodon.v1.Notification).type).sort();
    await waitFor(async () => types().length === 3 && types());
    expect(types()).toEqual(["favourite", "follow", "mention"]);
    for (const e of live) {
      expect(e.stream).toEqual(["user:notification"]);
      expect((e.payload as mastodon.v1.Notification).account.acct).toMatch(/^alice@127\.0\.0\.1:/);
    }
    const star = live.find((e) => e.event === "notification" && e.payload.type === "favourite")!;
    expect(star.payload).toMatchObject({ flattr: true, status: { uri: carolPostUri } });

    const listed = await carolsApp.getNotifications();
    expect(listed.data.map((n) => n.type).sort()).toEqual(["favourite", "follow", "mention"]);

    await alice.v1.statuses.$select(post!.id).unfavourite();
    await waitFor(async () => {
      const now = await carolsApp.getNotifications();
      return !now.data.some((n) => n.type === "favourite");
    });
    subscription.unsubscribe();
    streaming.close();
    await reading;
  });
});
