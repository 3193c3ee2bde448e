// zod vs valibot for our request schemas: parse cost, cold import, dependency and bundle weight.
// Run: npm install && node run.mjs   (results in ADR 0007)
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const libs = { zod: "./zod-schemas.mjs", valibot: "./valibot-schemas.mjs" };
const inputs = {
  budget: [{ amount: "5.00" }, { amount: 5 }],
  thing: [{ url: "https://alice.example/p", title: "A post", description: "About it" }, { url: 42, title: "x" }],
  query: [{ period: "2026-03", format: "csv" }, { period: "2026-13" }],
  params: [{ id: "12345" }, { id: "1e3" }],
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** ns per parse, median of 7 rounds of 200k parses (after warm-up). */
function parseCost(parse, name, value) {
  const n = 200_000;
  for (let i = 0; i < n; i++) parse(name, value);
  const rounds = [];
  for (let r = 0; r < 7; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) parse(name, value);
    rounds.push(Number(process.hrtime.bigint() - t) / n);
  }
  return median(rounds);
}

/** ms to import the library (and build our schemas) in a fresh node, median of 15. */
function coldImport(module) {
  const code = `const t=performance.now();await import(${JSON.stringify(module)});console.log(performance.now()-t)`;
  const runs = [];
  for (let i = 0; i < 15; i++)
    runs.push(Number(execFileSync(process.execPath, ["--input-type=module", "-e", code]).toString()));
  return median(runs);
}

function dirSize(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}

async function bundleSize(module) {
  const r = await build({
    entryPoints: [module],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    write: false,
  });
  return r.outputFiles[0].contents.length;
}

const kb = (b) => `${(b / 1024).toFixed(0)} KiB`;
const out = {};
for (const [lib, module] of Object.entries(libs)) {
  const m = await import(module);
  const row = {};
  for (const [name, [ok, bad]] of Object.entries(inputs)) {
    if (!m.parse(name, ok).success || m.parse(name, bad).success) throw new Error(`${lib} ${name}`);
    row[`${name} ok ns`] = Math.round(parseCost(m.parse, name, ok));
    row[`${name} bad ns`] = Math.round(parseCost(m.parse, name, bad));
  }
  row["import lib ms"] = coldImport(lib === "zod" ? "zod" : "valibot").toFixed(1);
  row["import schemas ms"] = coldImport(module).toFixed(1);
  row["node_modules"] = kb(
    lib === "zod"
      ? dirSize("node_modules/zod")
      : dirSize("node_modules/valibot") + dirSize("node_modules/@valibot/to-json-schema"),
  );
  row["bundle (parse + JSON Schema)"] = kb(await bundleSize(module));
  out[lib] = row;
}
console.log(`node ${process.version}, load ${execFileSync("cat", ["/proc/loadavg"]).toString().trim()}`);
console.table(out);
