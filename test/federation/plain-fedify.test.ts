import { Follow, isActor, Note } from "@fedify/vocab";
import { afterAll, beforeAll, expect, it } from "vitest";
import { federationContext } from "../../src/federation/federation.ts";
import { startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { type PlainFedify, startPlainFedify } from "../helpers/plain-fedify.ts";
import { insertUser, waitFor } from "./support.ts";

// The stand-in for Mastodon works both ways with a real instance: it serves actors and notes we
// can look up, and its signed activities pass our inbox's checks.
let plain: PlainFedify;
let ours: TestInstance;

beforeAll(async () => {
  [plain, ours] = await Promise.all([startPlainFedify(), startTestInstance()]);
  await insertUser(ours, "Alice");
});
afterAll(async () => {
  await Promise.all([plain?.stop(), ours?.stop()]);
});

it("serves actors and notes that our instance can look up; deleted notes are gone", async () => {
  const bob = plain.addUser("bob", { name: "Bob", summary: "<p>hi</p>" });
  const note = plain.addNote("bob", "<p>Hello</p>");
  const ctx = federationContext(ours.federation, ours.deps);
  const actor = await ctx.lookupObject(bob);
  expect(isActor(actor) && actor.id?.href).toBe(bob);
  const object = await ctx.lookupObject(note);
  expect(object).toBeInstanceOf(Note);
  expect((object as Note).attributionId?.href).toBe(bob);
  plain.deleteNote(note);
  expect((await fetch(note, { headers: { Accept: "application/activity+json" } })).status).toBe(
    410,
  );
});

it("signs what it sends: a Follow reaches our inbox and our Accept reaches its inbox", async () => {
  const carol = plain.addUser("carol");
  const alice = `${ours.origin}/users/Alice`;
  const follow = new Follow({
    id: new URL(`${carol}#follows/1`),
    actor: new URL(carol),
    object: new URL(alice),
  });
  await plain.send(
    "carol",
    { id: new URL(alice), inboxId: new URL(`${alice}/inbox`), endpoints: null },
    follow,
  );
  const accept = await waitFor(async () =>
    plain.received.find((a) => a.type === "Accept" && a.actor === alice),
  );
  expect(accept.inbox).toBe("carol");
  expect(plain.received.some((a) => a.type === "Follow")).toBe(false);
});
