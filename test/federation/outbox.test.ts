import { createServer, type Server } from "node:http";
import { Follow } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { federationContext } from "../../src/federation/federation.ts";
import { withOutbox } from "../../src/federation/outbox.ts";
import { freePort, startTestInstance, type TestInstance } from "../helpers/instance.ts";
import { queueRows } from "../helpers/queue.ts";
import { insertUser, waitFor } from "./support.ts";

// ctx.sendActivity() inside withOutbox() is delivered exactly if the transaction commits.
let instance: TestInstance;
let inbox: Server;
let inboxUrl: string;
const received: string[] = [];

beforeAll(async () => {
  instance = await startTestInstance();
  await insertUser(instance, "Alice");
  const port = await freePort();
  inboxUrl = `http://127.0.0.1:${port}/inbox`;
  inbox = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      received.push(JSON.parse(body).id);
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => inbox.listen(port, "127.0.0.1", resolve));
});
afterAll(async () => {
  await instance?.stop();
  await new Promise((resolve) => inbox?.close(resolve));
});

function follow(n: string): Follow {
  return new Follow({
    id: new URL(`${instance.origin}/users/Alice#follows/${n}`),
    actor: new URL(`${instance.origin}/users/Alice`),
    object: new URL(`${new URL(inboxUrl).origin}/users/someone`),
  });
}

it("delivers what a committed transaction sent and nothing of a rolled-back one", async () => {
  const ctx = federationContext(instance.federation, instance.deps);
  const recipient = {
    id: new URL(`${new URL(inboxUrl).origin}/users/someone`),
    inboxId: new URL(inboxUrl),
  };
  await expect(
    withOutbox(ctx, async (tx) => {
      await tx.execute(sql`select 1`);
      await ctx.sendActivity({ identifier: "Alice" }, recipient, follow("rolled-back"));
      throw new Error("domain rule violated");
    }),
  ).rejects.toThrow("domain rule violated");
  await withOutbox(ctx, async () => {
    await ctx.sendActivity({ identifier: "Alice" }, recipient, follow("committed"));
  });
  // Drained: a queue row is deleted only after its delivery finished, so whatever the two
  // transactions queued (a wrongly kept rolled-back one included) has arrived by now.
  await waitFor(async () => (await queueRows(instance.deps.database.db)) === 0);
  expect(received).toEqual([`${instance.origin}/users/Alice#follows/committed`]);
});
