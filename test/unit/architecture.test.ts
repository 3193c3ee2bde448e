import { existsSync, readdirSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  type Import,
  type ModuleRule,
  moduleOf,
  packageOf,
  readImports,
  readModuleTable,
  readText,
  sourceFiles,
} from "../helpers/imports.ts";

/*
 * The module boundaries of docs/ARCHITECTURE.md, enforced: every import in src/ is read and checked
 * against the table in that document (the table is the rule; change it there, with a reason) and
 * against the rules below it that a table cannot say. A failure names the file, the line, the
 * import and the rule it breaks.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const src = join(root, "src");
const DOC = "docs/ARCHITECTURE.md";
const table = readModuleTable(readText(join(root, DOC)));

/** Files outside src/ that src/ may import (the version it reports). */
const OUTSIDE_SRC = new Set(["package.json"]);
/** Layers that never see HTTP: no Hono, no Fedify, no HTTP server or client. */
const NO_HTTP_LAYERS = new Set(["pure", "kernel", "infrastructure", "ledger", "domain"]);
const HTTP_PACKAGE = /^(?:hono|@hono\/.*|@fedify\/.*|node:https?|node:http2|undici)$/;
/** Surfaces that hold no SQL (federation is also an adapter with its own tables; cli opens the db). */
const NO_SQL_MODULES = new Set(["web", "api", "mastodon"]);
const SQL_PACKAGE = /^(?:drizzle-orm|postgres|@electric-sql\/pglite)$/;
/** Packages the pure modules may use: they do no I/O. */
const PURE_PACKAGES = new Set(["@js-temporal/polyfill"]);

interface Found extends Import {
  file: string;
  from: string;
  /** The module a relative import lands in, or null for a package. */
  to: string | null;
  /** Path of the imported file relative to src/ (relative imports inside src/). */
  target: string | null;
  pkg: string | null;
}

function allImports(): { found: Found[]; unreadable: string[] } {
  const found: Found[] = [];
  const unreadable: string[] = [];
  for (const file of sourceFiles(src)) {
    const { imports, unreadable: bad } = readImports(readText(join(src, file)));
    for (const b of bad) unreadable.push(`src/${file}:${b.line}: ${b.text}`);
    for (const i of imports) {
      const pkg = packageOf(i.specifier);
      let to: string | null = null;
      let target: string | null = null;
      if (pkg === null) {
        const path = posix.normalize(posix.join(posix.dirname(file), i.specifier));
        if (path.startsWith("../")) to = `(outside src) ${path.replace(/^(\.\.\/)+/, "")}`;
        else {
          target = path;
          to = moduleOf(path);
        }
      }
      found.push({ ...i, file, from: moduleOf(file), to, target, pkg });
    }
  }
  return { found, unreadable };
}

const { found, unreadable } = allImports();
const where = (f: Found) => `src/${f.file}:${f.line} imports "${f.specifier}"`;
const list = (s: Set<string>) => (s.size ? [...s].sort().join(", ") : "nothing of ours");

/** Why an import between two modules breaks the table, or null when it may. */
function tableViolation(f: Found, rule: ModuleRule | undefined): string | null {
  if (f.to === null || f.to === f.from) return null;
  if (f.to.startsWith("(outside src) ")) {
    const path = f.to.slice("(outside src) ".length);
    return OUTSIDE_SRC.has(path)
      ? null
      : `src/ may import from outside src/ only ${[...OUTSIDE_SRC].join(", ")}`;
  }
  if (!rule) return `module "${f.from}" is not in the table of ${DOC}`;
  if (!table.has(f.to)) return `module "${f.to}" is not in the table of ${DOC}`;
  if (rule.imports.has("*") || rule.imports.has(f.to)) return null;
  if (rule.typeImports.has(f.to) && f.typeOnly) return null;
  const typed = rule.typeImports.size
    ? `; types only (import type): ${list(rule.typeImports)}`
    : "";
  return (
    `${rule.module} (${rule.layer}) may not import ${f.to} (${table.get(f.to)!.layer}). ` +
    `It may import: ${list(rule.imports)}${typed} (${DOC})`
  );
}

/** The rules the table cannot say. */
function extraViolations(f: Found): string[] {
  const rule = table.get(f.from);
  const out: string[] = [];
  if (f.pkg && rule && NO_HTTP_LAYERS.has(rule.layer) && HTTP_PACKAGE.test(f.pkg))
    out.push(`${f.from} (${rule.layer}) never imports Hono, Fedify or HTTP (${f.pkg})`);
  if (f.pkg && NO_SQL_MODULES.has(f.from) && SQL_PACKAGE.test(f.pkg))
    out.push(`${f.from} is a surface: no SQL in it (${f.pkg}); call a domain door`);
  if (f.pkg && rule?.layer === "pure" && !f.pkg.startsWith("node:") && !PURE_PACKAGES.has(f.pkg))
    out.push(`${f.from} is pure: of packages only ${[...PURE_PACKAGES].join(", ")} (${f.pkg})`);
  if (f.pkg?.startsWith("node:") && rule?.layer === "pure")
    out.push(`${f.from} is pure: no Node APIs (${f.pkg})`);
  if (f.to === "ledger" && f.from !== "ledger" && f.target !== "ledger/index.ts")
    out.push("outside the ledger, import it through src/ledger/index.ts, its only door");
  if (f.to === "db" && NO_SQL_MODULES.has(f.from) && f.target !== "db/client.ts")
    out.push(`${f.from} is a surface: of db only the types of db/client.ts (no schema, no SQL)`);
  return out;
}

describe("the module table of docs/ARCHITECTURE.md", () => {
  it("lists every module under src/ (each folder, each file at the root)", () => {
    const modules = readdirSync(src, { withFileTypes: true })
      .filter((e) => e.isDirectory() || /\.tsx?$/.test(e.name))
      .map((e) => (e.isDirectory() ? e.name : e.name.replace(/\.tsx?$/, "")));
    const missing = modules.filter((m) => !table.has(m));
    expect(missing, `add these to the table in ${DOC}`).toEqual([]);
  });

  it("only names modules it has a row for", () => {
    const unknown = [...table.values()].flatMap((r) =>
      [...r.imports, ...r.typeImports]
        .filter((m) => m !== "*" && !table.has(m))
        .map((m) => `${r.module} → ${m}`),
    );
    expect(unknown).toEqual([]);
  });

  it("allows no cycle: dependencies point one way", () => {
    // Depth-first search over the allowed edges (the composition root's "anything" aside).
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (m: string, path: string[]) => {
      if (state.get(m) === "done") return;
      if (state.get(m) === "open") {
        cycles.push([...path.slice(path.indexOf(m)), m].join(" → "));
        return;
      }
      state.set(m, "open");
      const r = table.get(m)!;
      for (const n of [...r.imports, ...r.typeImports]) if (n !== "*") visit(n, [...path, m]);
      state.set(m, "done");
    };
    for (const m of table.keys()) visit(m, []);
    expect(cycles).toEqual([]);
  });

  it("has a row for a module that does not exist only when the row says it is coming", () => {
    const stale = [...table.values()]
      .filter((r) => !existsSync(join(src, r.module)) && !existsSync(join(src, `${r.module}.ts`)))
      .filter((r) => !/\bcoming\b/.test(r.holds))
      .map((r) => r.module);
    expect(stale).toEqual([]);
  });
});

describe("imports in src/", () => {
  it("are all read (an import the reader cannot read would escape the check)", () => {
    expect(unreadable).toEqual([]);
    // Sanity: the reader found imports of each kind.
    expect(found.filter((f) => f.typeOnly).length).toBeGreaterThan(50);
    expect(found.filter((f) => f.pkg === "hono").length).toBeGreaterThan(10);
  });

  it("follow the module table", () => {
    const broken = found.flatMap((f) => {
      const why = tableViolation(f, table.get(f.from));
      return why ? [`${where(f)}: ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it("follow the rules the table cannot say (HTTP, SQL, the ledger's door, pure modules)", () => {
    const broken = found.flatMap((f) => extraViolations(f).map((why) => `${where(f)}: ${why}`));
    expect(broken).toEqual([]);
  });
});

describe("the import reader", () => {
  it("reads every form of import and re-export, with the line it starts on", () => {
    const source = [
      'import { a } from "./a.ts";',
      "import type { B } from '../b.ts';",
      "import {",
      "  c,",
      "  type C,",
      '} from "./c.ts";',
      'import D, { d } from "d";',
      'import * as e from "./e.ts";',
      'import "./side-effect.ts";',
      'export { f } from "./f.ts";',
      'export type { G } from "./g.ts";',
      'export * from "./h.ts";',
      'export * as i from "./i.ts";',
      "const later = await import('./j.ts');",
      'type K = typeof import("./k.ts");',
      "export { later };",
      'const text = "not an import from here";',
      "const meta = import.meta.url;",
    ].join("\n");
    const { imports, unreadable } = readImports(source);
    expect(unreadable).toEqual([]);
    expect(imports.map((i) => [i.line, i.specifier, i.typeOnly])).toEqual([
      [1, "./a.ts", false],
      [2, "../b.ts", true],
      [3, "./c.ts", false],
      [7, "d", false],
      [8, "./e.ts", false],
      [9, "./side-effect.ts", false],
      [10, "./f.ts", false],
      [11, "./g.ts", true],
      [12, "./h.ts", false],
      [13, "./i.ts", false],
      [14, "./j.ts", false],
      [15, "./k.ts", false],
    ]);
  });

  it("reports what looks like an import but cannot be read", () => {
    const { unreadable } = readImports(
      ['import x = require("./x.ts");', "const m = await import(name);"].join("\n"),
    );
    expect(unreadable.map((u) => u.line)).toEqual([1, 2]);
  });

  it("fails a domain module importing the HTTP layer, naming file, import and rule", () => {
    const f: Found = {
      specifier: "../http/urls.ts",
      typeOnly: false,
      line: 6,
      file: "flattr/things.ts",
      from: "flattr",
      to: "http",
      target: "http/urls.ts",
      pkg: null,
    };
    const why = tableViolation(f, table.get("flattr"));
    expect(`${where(f)}: ${why}`).toMatch(
      /^src\/flattr\/things\.ts:6 imports "\.\.\/http\/urls\.ts": flattr \(domain\) may not import http \(HTTP plumbing\)\. It may import: .*accounts/,
    );
    // A type-only import of a domain error code from the HTTP layer is allowed, a value not.
    const codes = { ...f, file: "http/error-status.ts", from: "http", to: "flattr" };
    expect(tableViolation({ ...codes, typeOnly: true }, table.get("http"))).toBeNull();
    expect(tableViolation(codes, table.get("http"))).toMatch(/types only/);
    expect(
      extraViolations({ ...f, to: null, target: null, pkg: "hono", specifier: "hono" }),
    ).toEqual(["flattr (domain) never imports Hono, Fedify or HTTP (hono)"]);
  });
});
