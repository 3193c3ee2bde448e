import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // Browser and multi-instance tests start real servers; on a loaded shared machine a first
    // PGlite migration alone has taken over a minute.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // PGlite instances are memory-hungry WASM; two cores, so keep the pool small.
    maxWorkers: 2,
  },
});
