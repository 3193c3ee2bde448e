import type { Context } from "hono";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../http/env.ts";
import { formatAmount } from "../money/decimal.ts";
import { formatMoney } from "../money/format.ts";
import { isPeriod, type Period, periodLabel, periodOf, periodsEnding } from "../periods/period.ts";
import { FormMessage, MONEY_NAV, renderPage } from "./layout.tsx";

/*
 * Shared pieces of the money pages (wallet, budget, things, flattrs, earnings, statements, admin
 * deposits): amounts, the section navigation, parameter parsing and a few styles the base layout
 * does not have.
 */

const CSS = `
nav.money { display: flex; gap: 0.3rem 0.9rem; flex-wrap: wrap; margin: 0.5rem 0 0.25rem;
  font-size: 0.95rem; }
nav.money a[aria-current=page] { font-weight: 700; text-decoration: none; color: var(--fg); }
.big-line { font-size: 1.15rem; }
.big { font-size: 2rem; font-weight: 700; margin: 0.25rem 0; }
.amount, td.num, th.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
td.num, th.num { text-align: right; }
td.date { white-space: nowrap; }
td.date small { display: block; }
td.ref { overflow-wrap: anywhere; }
.negative { color: var(--err); }
.warning { padding: 0.6rem 0.8rem; border-radius: 6px; border: 1px solid #c98a00;
  background: color-mix(in srgb, #f5b800 18%, transparent); }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
.table-wrap table { min-width: 20rem; }
@media (max-width: 30rem) { .table-wrap table { font-size: 0.9rem; }
  .table-wrap th, .table-wrap td { padding: 0.35rem 0.2rem; } }
input[type=url], select { font: inherit; padding: 0.5rem; border: 1px solid var(--line);
  border-radius: 6px; background: transparent; color: inherit; }
select { background: var(--bg); }
form.inline { display: flex; gap: 0.5rem; align-items: end; flex-wrap: wrap; margin: 0.5rem 0; }
form.inline label { font-weight: 400; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.transfer { border: 1px solid var(--line); border-radius: 8px; padding: 0.8rem 1rem; }
.reference { font-size: 1.3rem; font-weight: 700; letter-spacing: 0.05em; user-select: all; }
figure.chart { margin: 1rem 0; }
figure.chart svg { width: 100%; height: auto; display: block; }
figure.chart figcaption { color: var(--muted); font-size: 0.9rem; }
.chart .bar { fill: var(--accent); }
.chart .axis { stroke: var(--line); }
.chart text { fill: var(--muted); font: 12px system-ui, sans-serif; }
.chart text.value { fill: var(--fg); }
.url { overflow-wrap: anywhere; }
`;

/** Localised amount for people; `data-amount` carries the exact decimal for machines and tests. */
export function Amount(props: { minor: bigint; currency: string }) {
  const cls = props.minor < 0n ? "amount negative" : "amount";
  return (
    <span class={cls} data-amount={formatAmount(props.minor, props.currency)}>
      {formatMoney(props.minor, props.currency)}
    </span>
  );
}

export const money = (minor: bigint, currency: string): string => formatMoney(minor, currency);

// Pages import it from here with the other money helpers.
export { periodLabel };

/** The last `count` periods ending with the current one, newest first (a month picker). */
export function recentPeriods(now: Date, timeZone: string, count: number): Period[] {
  return periodsEnding(periodOf(now, timeZone), count).reverse();
}

/** A positive integer id from a URL segment, or null ("abc", "0", "1e3", too large). */
export function parseId(raw: string | undefined): number | null {
  if (!raw || !/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

/** A "YYYY-MM" query or path value, or null. */
export function parsePeriodParam(raw: string | undefined): Period | null {
  return raw !== undefined && isPeriod(raw) ? raw : null;
}

/**
 * The month a page shows: `?period=YYYY-MM`, or `now` without one. A malformed or future month
 * is answered with a 400 page instead (returned as `problem`).
 */
export function periodFromQuery(
  c: Context<AppEnv>,
  now: Period,
  title: string,
  section: Section,
):
  | { period: Period; problem?: undefined }
  | { period?: undefined; problem: Response | Promise<Response> } {
  const raw = c.req.query("period");
  const period = raw === undefined || raw === "" ? now : parsePeriodParam(raw);
  if (period === null) {
    const message = `"${raw?.slice(0, 20)}" is not a month: use the form YYYY-MM, e.g. ${now}.`;
    return { problem: problemPage(c, 400, title, message, section) };
  }
  if (period > now) {
    return {
      problem: problemPage(c, 400, title, `${periodLabel(period)} has not started yet.`, section),
    };
  }
  return { period };
}

/** A GET form choosing a month; the selected one is listed even when it is older than `periods`. */
export function PeriodSelect(props: { action: string; selected: Period; periods: Period[] }) {
  const periods = props.periods.includes(props.selected)
    ? props.periods
    : [...props.periods, props.selected];
  return (
    <form method="get" action={props.action} class="inline">
      <label>
        Month{" "}
        <select name="period">
          {periods.map((p) => (
            <option value={p} selected={p === props.selected}>
              {periodLabel(p)}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Show</button>
    </form>
  );
}

type Section =
  | "wallet"
  | "budget"
  | "flattrs"
  | "things"
  | "earnings"
  | "payouts"
  | "claims"
  | "admin-claims"
  | "admin-users"
  | "admin-deposits"
  | "admin-payouts"
  | "admin-peers"
  | "admin-domains";

const SECTIONS: { id: Section; href: string; label: string; admin?: boolean }[] = [
  { id: "flattrs", href: "/flattrs", label: "This month" },
  { id: "wallet", href: "/wallet", label: "Wallet" },
  { id: "budget", href: "/budget", label: "Budget" },
  { id: "things", href: "/things", label: "My things" },
  { id: "earnings", href: "/earnings", label: "Earnings" },
  { id: "payouts", href: "/payouts", label: "Payouts" },
  { id: "claims", href: "/settings/claims", label: "Claims" },
  { id: "admin-deposits", href: "/admin/deposits", label: "Deposits (admin)", admin: true },
  { id: "admin-payouts", href: "/admin/payouts", label: "Payouts (admin)", admin: true },
  { id: "admin-peers", href: "/admin/peers", label: "Peers (admin)", admin: true },
  { id: "admin-domains", href: "/admin/domains", label: "Blocked servers (admin)", admin: true },
  { id: "admin-claims", href: "/admin/claims", label: "Claims (admin)", admin: true },
  { id: "admin-users", href: "/admin/users", label: "Users (admin)", admin: true },
];

/**
 * The sections the site navigation (layout.tsx) does not list, shown on their own pages only
 * (today the admin pages): the money pages are in the site navigation on every page.
 */
function MoneyNav(props: { active: Section | undefined; isAdmin: boolean }) {
  const extra = SECTIONS.filter(
    (s) => (!s.admin || props.isAdmin) && !MONEY_NAV.some((n) => n.href === s.href),
  );
  if (!extra.some((s) => s.id === props.active)) return null;
  return (
    <nav class="money" aria-label="Money">
      {extra.map((s) => (
        <a href={s.href} aria-current={s.id === props.active ? "page" : undefined}>
          {s.label}
        </a>
      ))}
    </nav>
  );
}

/** renderPage with the money styles and, for logged-in users, the money section navigation. */
export function moneyPage(
  c: Context<AppEnv>,
  options: { title: string; status?: ContentfulStatusCode; section?: Section },
  content: Child,
) {
  const user = c.var.user;
  return renderPage(
    c,
    { title: options.title, status: options.status, head: <style>{raw(CSS)}</style> },
    <>
      {user && <MoneyNav active={options.section} isAdmin={user.isAdmin} />}
      {content}
    </>,
  );
}

/** A 4xx page in the layout (instead of the bare error page) for bad ids, periods and the like. */
export function problemPage(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  title: string,
  message: string,
  section?: Section,
) {
  return moneyPage(c, { title, status, section }, <FormMessage error={message} />);
}
