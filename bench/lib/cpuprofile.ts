import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

/*
 * Summarises a V8 .cpuprofile (from `--server-cpu-prof DIR`): self and inclusive time per
 * function and per module (a package, a file of ours, Node's internals), so that two servers'
 * profiles can be compared without DevTools. Only the samples between the first and the last
 * one whose stack contains `--window` (default: the inbox guard) are counted, which leaves out
 * start-up (migrations, keys) and shut-down.
 *
 * `--seconds FROM,TO` counts instead the samples from FROM to TO seconds before the profile's end
 * (a run of `--duration 8` is `--seconds 9,1`); `--all` counts every sample.
 *
 *   npx tsx bench/lib/cpuprofile.ts FILE.cpuprofile [--window inbox-guard.ts] [--top 40]
 *   npx tsx bench/lib/cpuprofile.ts FILE.cpuprofile --seconds 9,1
 *   … --callers REGEX   where the time of functions matching REGEX comes from (the callers'
 *                       frames outside Node's internals, nearest first)
 */

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface Node {
  id: number;
  callFrame: Frame;
  parent?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    window: { type: "string" },
    top: { type: "string" },
    all: { type: "boolean" },
    callers: { type: "string" },
    seconds: { type: "string" },
  },
});
const top = Number(values.top ?? 40);
const file = positionals[0];
if (!file) throw new Error("usage: cpuprofile.ts FILE [--window TEXT] [--top N] [--all]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
for (const n of profile.nodes) for (const c of n.children ?? []) byId.get(c)!.parent = n.id;

/** A module name: node_modules package, a path of ours from src/ or bench/, or the V8 label. */
function moduleOf(url: string, name: string): string {
  if (url === "") return `(${name || "anonymous"})`;
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith("node:")) return "node:*";
  const src = url.search(/\/(src|bench)\//);
  return src >= 0 ? url.slice(src + 1) : url;
}
const fnKey = (f: Frame) =>
  `${f.functionName || "(anonymous)"} ${moduleOf(f.url, f.functionName)}:${f.lineNumber + 1}`;

function stackOf(id: number): Node[] {
  const out: Node[] = [];
  for (let n = byId.get(id); n; n = n.parent === undefined ? undefined : byId.get(n.parent))
    out.push(n);
  return out;
}

// Sample times: the delta *after* a sample is the time it stands for (as DevTools counts).
const times = profile.samples.map((_, i) => profile.timeDeltas[i + 1] ?? 0);
let first = 0;
let last = profile.samples.length - 1;
if (values.seconds) {
  const [from, to] = values.seconds.split(",").map(Number);
  // Sample i is taken at startTime + the deltas up to and including its own.
  let at = profile.startTime;
  const end = profile.endTime;
  const taken = profile.samples.map((_, i) => (at += profile.timeDeltas[i] ?? 0));
  first = taken.findIndex((t) => t >= end - (from ?? 1e9) * 1e6);
  last = taken.findLastIndex((t) => t <= end - (to ?? 0) * 1e6);
  if (first < 0 || last < first) throw new Error(`no sample in --seconds ${values.seconds}`);
} else if (!values.all) {
  const mark = values.window ?? "inbox-guard.ts";
  const marked = profile.samples.map((id) =>
    stackOf(id).some((n) => n.callFrame.url.includes(mark) || fnKey(n.callFrame).includes(mark)),
  );
  first = marked.indexOf(true);
  last = marked.lastIndexOf(true);
  if (first < 0) throw new Error(`no sample's stack contains ${mark}`);
}

const callers = new Map<string, number>();
const callersOf = values.callers ? new RegExp(values.callers) : null;
const selfFn = new Map<string, number>();
const selfMod = new Map<string, number>();
const inclFn = new Map<string, number>();
const inclMod = new Map<string, number>();
let total = 0;
let idle = 0;
const add = (m: Map<string, number>, k: string, t: number) => m.set(k, (m.get(k) ?? 0) + t);
for (let i = first; i <= last; i++) {
  const t = times[i]!;
  total += t;
  const stack = stackOf(profile.samples[i]!);
  const leaf = stack[0]!.callFrame;
  if (leaf.functionName === "(idle)") {
    idle += t;
    continue;
  }
  add(selfFn, fnKey(leaf), t);
  add(selfMod, moduleOf(leaf.url, leaf.functionName), t);
  const fns = new Set<string>();
  const mods = new Set<string>();
  for (const n of stack) {
    fns.add(fnKey(n.callFrame));
    mods.add(moduleOf(n.callFrame.url, n.callFrame.functionName));
  }
  for (const k of fns) add(inclFn, k, t);
  if (callersOf) {
    const at = stack.findIndex((n) => callersOf.test(fnKey(n.callFrame)));
    if (at >= 0) {
      const path = stack
        .slice(at + 1)
        .filter((n) => n.callFrame.url !== "" && !n.callFrame.url.startsWith("node:"))
        .slice(0, 6)
        .map((n) => fnKey(n.callFrame));
      add(callers, path.join(" < "), t);
    }
  }
  for (const k of mods) add(inclMod, k, t);
}
const busy = total - idle;
const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
function table(title: string, m: Map<string, number>, n = top) {
  console.log(`\n${title} (ms, % of busy)`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n))
    console.log(`${ms(t)} ${pct(t)}  ${k}`);
}
console.log(
  `${file}: window ${ms(total)} ms, idle ${ms(idle)} ms, busy ${ms(busy)} ms (${((100 * busy) / total).toFixed(0)} %)`,
);
table("self time by module", selfMod, 25);
table("inclusive time by module", inclMod, 25);
table("self time by function", selfFn);
table("inclusive time by function", inclFn, top * 2);
if (callersOf) table(`callers of ${callersOf}`, callers, top);
