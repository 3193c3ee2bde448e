import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { CryptographicKey, Person } from "@fedify/vocab";

/*
 * The servers sending the benchmark's activities, in the bench process: one HTTP server with
 * `actors` Person documents (each its own RSA key, fetched once by the server under test), a
 * NodeInfo that makes it a peer (metadata.flattr, EUR), and inboxes that accept whatever arrives
 * (the Accepts our instance sends back to followers). The activities are signed before the
 * measured run, so the load generator only sends bytes.
 */

export const AP = "application/activity+json";

/** The origin both servers under test claim, reached with this Host header on their own port. */
export const TARGET_ORIGIN = "http://inbox.bench";

export type BenchActivity = "like" | "follow" | "undo";

/** The local post flattred by delivery k: one per local user (bench/inbox/server.ts seeds them). */
export function benchPostUri(users: number, k: number): string {
  return `${TARGET_ORIGIN}/users/u${(k % users) + 1}/statuses/bench`;
}

/** The payment extension's inline context (docs/PROTOCOL.md), never fetched. */
const FLATTR_CONTEXT = {
  flattr: "https://w3id.org/fediflattr/ns#",
  flattrPeriod: "flattr:period",
  flattrPayerInstance: { "@id": "flattr:payerInstance", "@type": "@id" },
  flattrCurrency: "flattr:currency",
  flattrProtocolVersion: "flattr:protocolVersion",
};

/** Follow k of the benchmark: who follows whom, and the Follow's id (bench/inbox/server.ts seeds it). */
export function benchFollow(origin: string, users: number, k: number) {
  const actor = `${origin}/users/a${Math.floor(k / users)}`;
  return {
    id: `${actor}#follows/${k}`,
    type: "Follow",
    actor,
    object: `${TARGET_ORIGIN}/users/u${(k % users) + 1}`,
  };
}

export interface SignedDelivery {
  headers: Record<string, string>;
  body: string;
}

export interface BenchRemote {
  origin: string;
  /** POSTs received (our Accepts). */
  received(): number;
  stop(): Promise<void>;
  /**
   * `count` distinct deliveries to the shared inbox about pair k, local user `u{k mod users + 1}`
   * and remote actor `a{k div users}` (so no pair repeats): a flattr (`Like` with the payment
   * extension) of the user's post, the actor's Follow of the user, or its Undo.
   */
  sign(count: number, users: number, activity: BenchActivity): Promise<SignedDelivery[]>;
}

export async function startBenchRemote(actors: number, port: number): Promise<BenchRemote> {
  const origin = `http://127.0.0.1:${port}`;
  const keys = await Promise.all(
    Array.from({ length: actors }, () => generateCryptoKeyPair("RSASSA-PKCS1-v1_5")),
  );
  const actorUri = (i: number) => `${origin}/users/a${i}`;
  // A peer: its NodeInfo says it speaks the protocol in the instance's currency (EUR).
  const nodeInfo = JSON.stringify({
    version: "2.1",
    software: { name: "fediflattr-bench", version: "1.0.0" },
    protocols: ["activitypub"],
    services: { inbound: [], outbound: [] },
    openRegistrations: false,
    usage: { users: {} },
    metadata: {
      flattr: {
        protocolVersion: "1",
        currency: "EUR",
        feeBasisPoints: 500,
        timeZone: "UTC",
        settlementDay: 10,
      },
    },
  });
  const documents = await Promise.all(
    keys.map(async (k, i) =>
      JSON.stringify(
        await new Person({
          id: new URL(actorUri(i)),
          preferredUsername: `a${i}`,
          inbox: new URL(`${actorUri(i)}/inbox`),
          publicKey: new CryptographicKey({
            id: new URL(`${actorUri(i)}#main-key`),
            owner: new URL(actorUri(i)),
            publicKey: k.publicKey,
          }),
        }).toJsonLd({ format: "compact" }),
      ),
    ),
  );
  let posts = 0;
  const server: Server = createServer((req, res) => {
    const m = /^\/users\/a(\d+)$/.exec(req.url ?? "");
    if (req.method === "GET" && m && documents[Number(m[1])]) {
      res.writeHead(200, { "Content-Type": AP }).end(documents[Number(m[1])]);
      return;
    }
    if (req.method === "GET" && req.url === "/.well-known/nodeinfo") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(
        JSON.stringify({
          links: [
            { rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", href: `${origin}/nodeinfo` },
          ],
        }),
      );
      return;
    }
    if (req.method === "GET" && req.url === "/nodeinfo") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(nodeInfo);
      return;
    }
    if (req.method === "POST") {
      posts++;
      req.resume();
      req.on("end", () => res.writeHead(202).end());
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));

  return {
    origin,
    received: () => posts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    async sign(count, users, activity) {
      const out: SignedDelivery[] = [];
      // The payer's period (this month, UTC): the receiver stores it as sent.
      const period = new Date().toISOString().slice(0, 7);
      for (let k = 0; k < count; k++) {
        const a = Math.floor(k / users) % actors;
        const follow = benchFollow(origin, users, k);
        const body = JSON.stringify(
          activity === "like"
            ? {
                "@context": ["https://www.w3.org/ns/activitystreams", FLATTR_CONTEXT],
                id: `${follow.actor}/flattrs/${randomUUID().replaceAll("-", "")}`,
                type: "Like",
                actor: follow.actor,
                object: benchPostUri(users, k),
                to: `${TARGET_ORIGIN}/users/u${(k % users) + 1}`,
                flattrPeriod: period,
                flattrPayerInstance: `${origin}/actor`,
                flattrCurrency: "EUR",
                flattrProtocolVersion: "1",
              }
            : {
                "@context": "https://www.w3.org/ns/activitystreams",
                ...(activity === "follow"
                  ? follow
                  : {
                      id: `${follow.actor}#undos/${k}`,
                      type: "Undo",
                      actor: follow.actor,
                      object: follow,
                    }),
              },
        );
        const signed = await signRequest(
          new Request(`${TARGET_ORIGIN}/inbox`, {
            method: "POST",
            headers: { "Content-Type": AP, Accept: AP },
            body,
          }),
          keys[a]!.privateKey,
          new URL(`${actorUri(a)}#main-key`),
        );
        const headers: Record<string, string> = { host: new URL(TARGET_ORIGIN).host };
        signed.headers.forEach((v, name) => {
          headers[name] = v;
        });
        out.push({ headers, body });
      }
      return out;
    },
  };
}
