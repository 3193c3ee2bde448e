import { createServer, type Server } from "node:http";
import { generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cachedLoader,
  cappedLoader,
  type LoaderOptions,
  preloadedContextLoader,
  SignatureSpecMemory,
  signedLoader,
} from "../../src/federation/loaders.ts";
import { freePort } from "../helpers/instance.ts";

// A loopback server with one route per behaviour the loaders must cope with.
let server: Server;
let origin: string;
const hits = new Map<string, number>();
let endlessBytes = 0;
let endlessClosed: Promise<void>;

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  let closed: () => void = () => {};
  endlessClosed = new Promise((resolve) => {
    closed = resolve;
  });
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", origin).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const json = (body: unknown) =>
      res.writeHead(200, { "Content-Type": "application/activity+json" }).end(JSON.stringify(body));
    switch (path) {
      case "/doc":
        return json({ "@context": "https://www.w3.org/ns/activitystreams", id: `${origin}/doc` });
      case "/endless": {
        // Never ends: only a reader that stops can get past it.
        res.writeHead(200, { "Content-Type": "application/activity+json" });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed) {
            endlessBytes += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
        };
        res.on("close", closed);
        return pump();
      }
      case "/silent":
        return; // never answers
      case "/to-blocked":
        return res.writeHead(302, { Location: "http://blocked.test/x" }).end();
      case "/loop":
        return res.writeHead(302, { Location: "/loop" }).end();
      case "/rfc9421-only":
        if (!req.headers["signature-input"]) return res.writeHead(401).end();
        return json({ id: `${origin}/rfc9421-only` });
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const options: LoaderOptions = {
  allowPrivateAddress: true,
  userAgent: "fediflattr-test",
  maxBytes: 64 * 1024,
  timeoutMs: 2000,
  isBlocked: async (host) => host === "blocked.test",
};

describe("federation loaders", () => {
  it("serve preloaded contexts without the network and refuse the rest before verification", async () => {
    const as = await preloadedContextLoader("https://www.w3.org/ns/activitystreams");
    expect(as.document).toHaveProperty("@context");
    await expect(preloadedContextLoader(`${origin}/doc`)).rejects.toThrow(/not preloaded/);
    expect(hits.get("/doc")).toBeUndefined();
  });

  it("stop reading a response at the size cap", async () => {
    await expect(cappedLoader(options)(`${origin}/endless`)).rejects.toThrow(/larger than/);
    await endlessClosed; // the connection was given up, not read to the end
    expect(endlessBytes).toBeGreaterThan(0);
  });

  it("give up on a server that never answers", async () => {
    await expect(
      cappedLoader({ ...options, timeoutMs: 300 })(`${origin}/silent`),
    ).rejects.toThrow();
  });

  it("refuse blocked servers, also behind a redirect, and redirect loops", async () => {
    const load = cappedLoader(options);
    await expect(load("http://blocked.test/actor")).rejects.toThrow(/blocked/);
    await expect(load(`${origin}/to-blocked`)).rejects.toThrow(/blocked/);
    await expect(load(`${origin}/loop`)).rejects.toThrow(/redirect/i);
  });

  it("cache unsigned documents in the KV store", async () => {
    const load = cachedLoader(options, new MemoryKvStore());
    const before = hits.get("/doc") ?? 0;
    expect((await load(`${origin}/doc`)).document).toMatchObject({ id: `${origin}/doc` });
    await load(`${origin}/doc`);
    expect(hits.get("/doc")).toBe(before + 1);
    await expect(load("http://blocked.test/doc")).rejects.toThrow(/blocked/);
  });

  it("sign fetches, knock again with the other flavour, and remember the one accepted", async () => {
    const { privateKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const specs = new SignatureSpecMemory();
    const load = signedLoader(
      { keyId: new URL(`${origin}/actor#key`), privateKey },
      options,
      specs,
    );
    await load(`${origin}/rfc9421-only`);
    expect(hits.get("/rfc9421-only")).toBe(2); // draft-cavage refused, then RFC 9421
    expect(specs.get(origin)).toBe("rfc9421");
    await load(`${origin}/rfc9421-only`);
    expect(hits.get("/rfc9421-only")).toBe(3); // straight to RFC 9421
  });
});
