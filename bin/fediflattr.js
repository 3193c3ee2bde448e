#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so no build step stands between a clone and `npm start`.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  console.error(`Fediflattr needs Node.js 24 or newer; this is ${process.version}.`);
  process.exit(1);
}
register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
