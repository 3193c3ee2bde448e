import { createServer } from "node:http";
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import { CryptographicKey, Person } from "@fedify/vocab";
import { freePort } from "./instance.ts";

/*
 * A hand-made remote server for low-level inbox tests: one actor (`eve`) with an RSA key, a
 * JSON-LD context document at `/ctx`, an inbox that records what it gets, and a count of every
 * request by path (so a test can prove something was, or was not, fetched). Unlike
 * plain-fedify.ts it lets a test sign any body it likes, with any key and headers.
 */

export const AP = "application/activity+json";

export interface FakeRemote {
  origin: string;
  /** host[:port] of origin. */
  host: string;
  actor: string;
  keyId: string;
  /** Requests received per path (GET and POST alike). */
  hits(path: string): number;
  /** Bodies POSTed to eve's inbox. */
  received: unknown[];
  /** A POST of `body` to `url`, signed (draft-cavage) with eve's key unless told otherwise. */
  signed(
    url: string,
    body: unknown,
    options?: { headers?: Record<string, string>; privateKey?: CryptoKey; keyId?: string },
  ): Promise<Request>;
  stop(): Promise<void>;
}

export async function startFakeRemote(hostname = "127.0.0.1"): Promise<FakeRemote> {
  const port = await freePort();
  const origin = `http://${hostname}:${port}`;
  const actor = `${origin}/users/eve`;
  const keyId = `${actor}#main-key`;
  const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const counts = new Map<string, number>();
  const received: unknown[] = [];
  const person = await new Person({
    id: new URL(actor),
    preferredUsername: "eve",
    inbox: new URL(`${actor}/inbox`),
    publicKey: new CryptographicKey({
      id: new URL(keyId),
      owner: new URL(actor),
      publicKey: keys.publicKey,
    }),
  }).toJsonLd({ format: "compact" });
  const context = { "@context": { flattrTest: "https://example.test/ns#flattrTest" } };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", origin).pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "GET" && path === "/users/eve") {
        res.writeHead(200, { "Content-Type": AP }).end(JSON.stringify(person));
      } else if (req.method === "GET" && path === "/ctx") {
        res.writeHead(200, { "Content-Type": "application/ld+json" }).end(JSON.stringify(context));
      } else if (req.method === "POST" && path === "/users/eve/inbox") {
        received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        res.writeHead(202).end();
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, hostname, resolve));

  return {
    origin,
    host: new URL(origin).host,
    actor,
    keyId,
    hits: (path) => counts.get(path) ?? 0,
    received,
    async signed(url, body, options = {}) {
      const request = new Request(url, {
        method: "POST",
        headers: { "Content-Type": AP, Accept: AP, ...options.headers },
        body: JSON.stringify(body),
      });
      return signRequest(
        request,
        options.privateKey ?? keys.privateKey,
        new URL(options.keyId ?? keyId),
      );
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
