import { createServer, type Server } from "node:http";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { CryptographicKey, Person } from "@fedify/vocab";

/*
 * The servers sending the benchmark's activities, in the bench process: one HTTP server with
 * `actors` Person documents (each its own RSA key, fetched once by the server under test) and
 * inboxes that accept whatever arrives (the Accepts our instance sends back to followers). The
 * activities are signed before the measured run, so the load generator only sends bytes.
 */

export const AP = "application/activity+json";

/** The origin both servers under test claim, reached with this Host header on their own port. */
export const TARGET_ORIGIN = "http://inbox.bench";

export type BenchActivity = "follow" | "undo";

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
   * `count` distinct deliveries to the shared inbox about follow k: the Follow of local user
   * `u{k mod users + 1}` by remote actor `a{k div users}` (so no pair repeats), or its Undo.
   */
  sign(count: number, users: number, activity: BenchActivity): Promise<SignedDelivery[]>;
}

export async function startBenchRemote(actors: number, port: number): Promise<BenchRemote> {
  const origin = `http://127.0.0.1:${port}`;
  const keys = await Promise.all(
    Array.from({ length: actors }, () => generateCryptoKeyPair("RSASSA-PKCS1-v1_5")),
  );
  const actorUri = (i: number) => `${origin}/users/a${i}`;
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
      for (let k = 0; k < count; k++) {
        const a = Math.floor(k / users) % actors;
        const follow = benchFollow(origin, users, k);
        const body = JSON.stringify({
          "@context": "https://www.w3.org/ns/activitystreams",
          ...(activity === "follow"
            ? follow
            : {
                id: `${follow.actor}#undos/${k}`,
                type: "Undo",
                actor: follow.actor,
                object: follow,
              }),
        });
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
