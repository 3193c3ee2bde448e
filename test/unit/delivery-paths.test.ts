import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readText, sourceFiles } from "../helpers/imports.ts";

/*
 * The blocked-server filter (src/federation/delivery-filter.ts) sits on the two ways Fedify's
 * ctx.sendActivity() delivers: its internal send (immediate or not) and the outbox queue.
 * ctx.forwardActivity() delivers on a path of its own that neither sees, so this code must not
 * forward; and the filter must be attached where the federation is built.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const src = join(root, "src");

describe("every delivery passes the blocked-server filter", () => {
  it("nothing forwards activities (a path the filter does not cover)", () => {
    const forwarding = sourceFiles(src)
      .map((f) => (f.startsWith("/") ? f : join(src, f)))
      .filter((f) => /\.forwardActivity\s*\(/.test(readText(f)))
      .map((f) => relative(root, f));
    expect(forwarding).toEqual([]);
  });

  it("the federation is built with both halves of the filter", () => {
    const text = readText(join(src, "federation/federation.ts"));
    expect(text).toMatch(/skipBlockedSends\(federation,/);
    expect(text).toMatch(/outbox: skipBlockedDeliveries\(/);
  });
});
