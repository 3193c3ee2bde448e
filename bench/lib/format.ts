/** Small printing helpers: seconds, rates, ratios and a plain-text table. */

export const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export const int = (n: number): string => Math.round(n).toLocaleString("en-US");

export const ratio = (r: number | null | undefined): string =>
  r == null || !Number.isFinite(r) ? "—" : `${r.toFixed(2)}×`;

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** Progress lines go to stderr so stdout stays the report. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
