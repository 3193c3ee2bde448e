/** The PostgreSQL error behind a driver/drizzle error (drizzle wraps it in `cause`). */
export interface PgErrorInfo {
  code: string;
  constraint: string | undefined;
  detail: string | undefined;
}

export function pgError(e: unknown): PgErrorInfo | null {
  for (let cur = e, depth = 0; cur && typeof cur === "object" && depth < 5; depth++) {
    const o = cur as Record<string, unknown>;
    if (typeof o.code === "string" && /^[0-9A-Z]{5}$/.test(o.code)) {
      // postgres.js says constraint_name, PGlite says constraint.
      const constraint = (o.constraint_name ?? o.constraint) as string | undefined;
      return { code: o.code, constraint, detail: o.detail as string | undefined };
    }
    cur = o.cause;
  }
  return null;
}
