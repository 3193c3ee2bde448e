import { Hono } from "hono";
import { apiUser } from "../http/bearer.ts";
import type { AppEnv } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { earnings } from "../settlement/earnings.ts";
import { periodFlattrs } from "../settlement/my-flattrs.ts";
import { statement } from "../settlement/statement.ts";
import { formatStatementCsv } from "../settlement/statement-csv.ts";
import { withdrawnFlattrs } from "../settlement/withdrawn-flattrs.ts";
import { periodQuery } from "./input.ts";
import { earningsJson, myFlattrsJson, statementJson } from "./serialize.ts";

/** CSV when asked by ?format=csv, or by an Accept header naming text/csv (and not ?format=json). */
function wantsCsv(format: string | undefined, accept: string): boolean {
  if (format !== undefined && format !== "") {
    if (format === "csv") return true;
    if (format === "json") return false;
    throw new ApiError(
      400,
      `"format" must be "json" or "csv", not "${format.slice(0, 20)}".`,
      "invalid_request",
    );
  }
  return /(^|,)\s*text\/csv\s*(;|,|$)/i.test(accept);
}

export function reportRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/me/flattrs", async (c) => {
    const user = await apiUser(c, "read");
    const { config, database, clock } = c.var.deps;
    const period = periodQuery(c, clock, config);
    const [values, withdrawn] = await Promise.all([
      periodFlattrs(database.db, config, user.id, period),
      withdrawnFlattrs(database.db, user.id, period),
    ]);
    return c.json(myFlattrsJson(config, values, withdrawn));
  });

  app.get("/me/earnings", async (c) => {
    const user = await apiUser(c, "read");
    const { config, database, clock } = c.var.deps;
    const period = periodQuery(c, clock, config);
    return c.json(earningsJson(await earnings(database.db, config, user.id, period)));
  });

  app.get("/me/statement", async (c) => {
    const user = await apiUser(c, "read");
    const { config, database, clock } = c.var.deps;
    const period = periodQuery(c, clock, config);
    const csv = wantsCsv(c.req.query("format"), c.req.header("accept") ?? "");
    const s = await statement(database.db, config, user.id, period);
    c.header("Vary", "Accept");
    if (!csv) return c.json(statementJson(config, s));
    c.header("Content-Type", "text/csv; charset=utf-8; header=present");
    c.header(
      "Content-Disposition",
      `attachment; filename="fediflattr-statement-${user.username}-${period}.csv"`,
    );
    return c.body(formatStatementCsv(s));
  });

  return app;
}
