import { currentPeriod } from "../flattr/current-period.ts";
import { endpoint } from "../http/endpoint.ts";
import { earnings } from "../settlement/earnings.ts";
import { periodFlattrs } from "../settlement/my-flattrs.ts";
import { checkReportPeriod, statement } from "../settlement/statement.ts";
import { formatStatementCsv, STATEMENT_CSV_COLUMNS } from "../settlement/statement-csv.ts";
import { withdrawnFlattrs } from "../settlement/withdrawn-flattrs.ts";
import { periodOrCurrent } from "./input.ts";
import { Earnings, MyFlattrs, PeriodQuery, Statement, StatementQuery } from "./schemas.ts";
import { earningsJson, myFlattrsJson, statementJson } from "./serialize.ts";

/** CSV when asked by ?format=csv, or by an Accept header naming text/csv (and not ?format=json). */
function wantsCsv(format: "json" | "csv" | undefined, accept: string): boolean {
  if (format !== undefined) return format === "csv";
  return /(^|,)\s*text\/csv\s*(;|,|$)/i.test(accept);
}

const listMyFlattrs = endpoint(
  {
    method: "get",
    path: "/me/flattrs",
    operationId: "listMyFlattrs",
    summary: "Your flattrs of a period, each with its projected or final value",
    tags: ["reports"],
    auth: "read",
    query: PeriodQuery,
    responses: { 200: { description: "The flattrs.", json: MyFlattrs }, 400: "BadRequest" },
  },
  async (c, { user, query }) => {
    const { config, database, clock } = c.var.deps;
    const period = periodOrCurrent(query.period, clock, config);
    checkReportPeriod(period, currentPeriod(clock, config));
    const [values, withdrawn] = await Promise.all([
      periodFlattrs(database.db, config, user.id, period),
      withdrawnFlattrs(database.db, user.id, period),
    ]);
    return c.json(myFlattrsJson(config, values, withdrawn));
  },
);

const getMyEarnings = endpoint(
  {
    method: "get",
    path: "/me/earnings",
    operationId: "getMyEarnings",
    summary: "Your earnings of a period, total and per thing",
    tags: ["reports"],
    auth: "read",
    query: PeriodQuery,
    responses: { 200: { description: "The earnings.", json: Earnings }, 400: "BadRequest" },
  },
  async (c, { user, query }) => {
    const { config, database, clock } = c.var.deps;
    const period = periodOrCurrent(query.period, clock, config);
    checkReportPeriod(period, currentPeriod(clock, config));
    return c.json(earningsJson(await earnings(database.db, config, user.id, period)));
  },
);

const getMyStatement = endpoint(
  {
    method: "get",
    path: "/me/statement",
    operationId: "getMyStatement",
    summary: "Your monthly statement (JSON, or CSV)",
    description:
      "CSV with `?format=csv` or `Accept: text/csv` (RFC 4180, CRLF, header line; columns " +
      `${STATEMENT_CSV_COLUMNS.join(", ")}).`,
    tags: ["reports"],
    auth: "read",
    query: StatementQuery,
    responses: {
      200: {
        description: "The statement.",
        json: Statement,
        other: { "text/csv": { type: "string" } },
      },
      400: "BadRequest",
    },
  },
  async (c, { user, query }) => {
    const { config, database, clock } = c.var.deps;
    const period = periodOrCurrent(query.period, clock, config);
    checkReportPeriod(period, currentPeriod(clock, config));
    const csv = wantsCsv(query.format, c.req.header("accept") ?? "");
    const s = await statement(database.db, config, user.id, period);
    c.header("Vary", "Accept");
    if (!csv) return c.json(statementJson(config, s));
    c.header("Content-Type", "text/csv; charset=utf-8; header=present");
    c.header(
      "Content-Disposition",
      `attachment; filename="fediflattr-statement-${user.username}-${period}.csv"`,
    );
    return c.body(formatStatementCsv(s));
  },
);

export const reportEndpoints = [listMyFlattrs, getMyEarnings, getMyStatement];
