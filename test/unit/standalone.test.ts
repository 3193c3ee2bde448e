import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/*
 * The repository stands alone: whoever clones it finds everything its docs and comments point at
 * inside it. Nothing may send a reader to a folder beside the repository or to the paths of the
 * machine it was written on.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const self = relative(root, fileURLToPath(import.meta.url));
const SKIP = new Set(["node_modules", ".git", "data", "drizzle", "results"]);
const TEXT = /\.(?:md|ts|tsx|js|sql|json|ya?ml)$|^Dockerfile$/;
const OUTSIDE: [RegExp, string][] = [
  [/\.\.\/shared\b/, "a folder beside the repository"],
  [/\bDESIGN\.md\b/, "a design document that is not in the repository (docs/ARCHITECTURE.md is)"],
  [/(?:^|[\s`'"(=])\/(?:work|root|home\/[^/\s]+)\//, "a path of one machine"],
];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name) || e.name.startsWith(".")) return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p) : TEXT.test(e.name) ? [p] : [];
  });
}

describe("the repository", () => {
  it("points nowhere outside itself (docs, comments, code)", () => {
    const found: string[] = [];
    for (const file of files(root)) {
      const path = relative(root, file);
      if (path === self || path === "package-lock.json") continue;
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          for (const [re, what] of OUTSIDE)
            if (re.test(line)) found.push(`${path}:${i + 1} points at ${what}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });
});
