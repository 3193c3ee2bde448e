import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

/*
 * What the architecture test needs: every import of a source file, and the module table of
 * docs/ARCHITECTURE.md. TypeScript 7 ships no parser API to JavaScript, so imports are read with
 * regular expressions, made safe by the code's shape: Biome formats every static import and
 * re-export to start a line, and `readImports` reports any line that starts like one but was not
 * read, so an import the expressions miss fails the test instead of slipping past it.
 */

export interface Import {
  specifier: string;
  /** `import type …` / `export type … from`: erased at run time. */
  typeOnly: boolean;
  /** 1-based line of the statement's start. */
  line: number;
}

export interface ReadImports {
  imports: Import[];
  /** Lines that look like the start of an import or re-export that was not read. */
  unreadable: { line: number; text: string }[];
}

// `import`/`export`, optional `type`, then a clause: a default name, `* as ns`, `{ … }`, or a
// default name followed by one of the other two; then `from "…"`.
const STATIC = new RegExp(
  String.raw`^[ \t]*(?:import|export)\s+(type\s+)?` +
    String.raw`(?:[\w$]+\s*,\s*)?(?:[\w$]+|\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})` +
    String.raw`\s*from\s*(["'])([^"'\n]+)\2`,
  "gm",
);
/** `import "./side-effect.ts";` */
const SIDE_EFFECT = /^[ \t]*import\s*(["'])([^"'\n]+)\1/gm;
/** `import("…")`, `typeof import("…")`: a literal specifier only. */
const DYNAMIC = /\bimport\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g;
/** What is left after the above must not look like an import. */
const LOOKS_LIKE_IMPORT = [
  /^[ \t]*import\b(?!\s*\.\s*meta\b)(?!\s*\(\s*["'])/,
  /^[ \t]*export\s+(?:type\s+)?\*/,
  /^[ \t]*export\s+(?:type\s+)?\{[^}]*\}\s*from\b/,
  /\bimport\s*\(\s*(?!["'])/,
];

function lineAt(source: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

export function readImports(source: string): ReadImports {
  const imports: Import[] = [];
  // Blank out what was read (keeping line breaks), then look for anything import-like left over.
  let rest = source;
  const blank = (start: number, text: string) => {
    rest = rest.slice(0, start) + text.replace(/[^\n]/g, " ") + rest.slice(start + text.length);
  };
  for (const m of source.matchAll(STATIC)) {
    imports.push({ specifier: m[3]!, typeOnly: m[1] !== undefined, line: lineAt(source, m.index) });
    blank(m.index, m[0]);
  }
  for (const m of rest.matchAll(SIDE_EFFECT)) {
    imports.push({ specifier: m[2]!, typeOnly: false, line: lineAt(source, m.index) });
    blank(m.index, m[0]);
  }
  for (const m of rest.matchAll(DYNAMIC)) {
    imports.push({ specifier: m[2]!, typeOnly: false, line: lineAt(source, m.index) });
    blank(m.index, m[0]);
  }
  const unreadable: ReadImports["unreadable"] = [];
  rest.split("\n").forEach((text, i) => {
    if (LOOKS_LIKE_IMPORT.some((re) => re.test(text)))
      unreadable.push({ line: i + 1, text: source.split("\n")[i]!.trim() });
  });
  imports.sort((a, b) => a.line - b.line);
  return { imports, unreadable };
}

/** Every .ts/.tsx file under `dir`, as paths relative to it with forward slashes. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(e.name)) out.push(relative(dir, p).split(sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

/** The module of a path relative to src/: its first folder, or a root file's name. */
export function moduleOf(pathInSrc: string): string {
  const [first, ...more] = pathInSrc.split("/");
  return more.length > 0 ? first! : first!.replace(/\.tsx?$/, "");
}

/** The bare package an import names (`@fedify/fedify/x` → `@fedify/fedify`), or null. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith(".") || specifier.startsWith("/")) return null;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

export interface ModuleRule {
  module: string;
  layer: string;
  /** The "what it holds" cell. */
  holds: string;
  /** Modules whose values and types it may import; "*" for the composition root. */
  imports: Set<string>;
  /** Modules it may import with `import type` only. */
  typeImports: Set<string>;
}

/**
 * The table under the heading "Modules and who may import whom" in docs/ARCHITECTURE.md: rows
 * `| \`module\` … | layer | what it holds | may import |`, where the last cell lists modules in
 * backticks, optionally followed by "types only:" and more, or says "anything" or "nothing".
 */
export function readModuleTable(markdown: string): Map<string, ModuleRule> {
  const start = markdown.indexOf("## Modules and who may import whom");
  if (start < 0) throw new Error('docs/ARCHITECTURE.md has no "Modules and who may import whom"');
  const section = markdown.slice(start).split(/\n## /)[0]!;
  const rows = section.split("\n").filter((l) => /^\|\s*`/.test(l));
  if (rows.length === 0) throw new Error("docs/ARCHITECTURE.md: the module table has no rows");
  const names = (cell: string) => new Set([...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
  const table = new Map<string, ModuleRule>();
  for (const row of rows) {
    const cells = row.split("|").slice(1, -1);
    if (cells.length !== 4) throw new Error(`docs/ARCHITECTURE.md: not 4 cells: ${row}`);
    const module = /`([^`]+)`/.exec(cells[0]!)![1]!;
    const layer = cells[1]!.trim();
    const [full = "", typed = ""] = cells[3]!.split(/types only:/);
    const imports = /^\s*anything\s*$/.test(full) ? new Set(["*"]) : names(full);
    table.set(module, {
      module,
      layer,
      holds: cells[2]!.trim(),
      imports,
      typeImports: names(typed),
    });
  }
  return table;
}

export const readText = (path: string) => readFileSync(path, "utf8");
