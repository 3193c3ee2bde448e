import { readFileSync } from "node:fs";

/*
 * Summarises a V8 .cpuprofile (`--server-cpu-prof DIR`) by self and inclusive time, per module
 * and per function, over a window counted back from the profile's end: a server's profile starts
 * at its boot (module loading is most of it), and the measured run is its last seconds.
 *
 *   npx tsx bench/lib/cpuprofile-summary.ts FILE [from-seconds-before-end] [to-seconds-before-end]
 *   e.g. … CPU.….cpuprofile 9 1   (the 8 s before the last second: a --duration 8 run)
 */

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, fromArg, toArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: cpuprofile-summary.ts FILE [from-s-before-end] [to-s-before-end]");
  process.exit(2);
}
const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const from = p.endTime - Number(fromArg ?? 1e9) * 1e6;
const to = p.endTime - Number(toArg ?? 0) * 1e6;
const hits = new Map<number, number>();
let total = 0;
let t = p.startTime;
p.samples.forEach((id, i) => {
  t += p.timeDeltas[i] ?? 0;
  if (t < from || t > to) return;
  hits.set(id, (hits.get(id) ?? 0) + 1);
  total++;
});

const short = (u: string) =>
  u.replace(/^.*node_modules\//, "nm:").replace(/^file:\/\/.*?\/(src|bench)\//, "$1/");
const moduleOf = (n: Node) =>
  n.callFrame.url ? short(n.callFrame.url).replace(/^(nm:(@[^/]+\/)?[^/]+).*/, "$1") : null;
const fnOf = (n: Node) =>
  `${n.callFrame.functionName || "(anonymous)"} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const selfFn = new Map<string, number>();
const selfMod = new Map<string, number>();
const inclFn = new Map<string, number>();
const inclMod = new Map<string, number>();
for (const [id, count] of hits) {
  const leaf = byId.get(id)!;
  add(selfFn, fnOf(leaf), count);
  add(selfMod, moduleOf(leaf) ?? leaf.callFrame.functionName, count);
  const fns = new Set<string>();
  const mods = new Set<string>();
  for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
    const n = byId.get(x)!;
    fns.add(fnOf(n));
    const m = moduleOf(n);
    if (m) mods.add(m);
  }
  for (const f of fns) add(inclFn, f, count);
  for (const m of mods) add(inclMod, m, count);
}

const top = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
    .join("\n");
console.log(`${total} samples in the window`);
console.log(`\nself, by module\n${top(selfMod, 25)}`);
console.log(`\ninclusive, by module\n${top(inclMod, 25)}`);
console.log(`\nself, by function\n${top(selfFn, 40)}`);
console.log(`\ninclusive, by function\n${top(inclFn, 50)}`);
