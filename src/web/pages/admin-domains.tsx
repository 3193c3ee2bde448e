import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { blockDomain } from "../../flattr/domain-blocks.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { listBlockedDomains, unblockDomain } from "../../peers/blocks.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage } from "../layout.tsx";
import { moneyPage } from "../money-ui.tsx";
import { requireAdmin, requireLogin } from "../session.ts";

/*
 * /admin/domains: the blocked servers, a form to block one and a button to unblock each. The same
 * door as `fediflattr domain block|unblock` (src/peers/blocks.ts).
 */

const day = (d: Date, timeZone: string) =>
  d.toLocaleDateString("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });

async function domainsPage(
  c: Context<AppEnv>,
  options: {
    status?: ContentfulStatusCode;
    error?: string;
    notice?: string;
    input?: { host: string; reason: string };
  } = {},
) {
  const { config, database } = c.var.deps;
  const blocks = await listBlockedDomains(database.db);
  const input = options.input ?? { host: "", reason: "" };
  return moneyPage(
    c,
    { title: "Blocked servers", status: options.status, section: "admin-domains" },
    <>
      <p>
        A blocked server (with its subdomains, on every port) can no longer deliver anything here,
        and this instance neither looks anything up there nor delivers anything to it. Blocking also
        withdraws this month's flattrs of things made there; their payers see why on their flattrs
        page. Unblocking does not bring those flattrs back.
      </p>
      <form method="post" action="/admin/domains" class="stack">
        <FormMessage error={options.error} notice={options.notice} />
        <CsrfField token={c.var.csrfToken} />
        <label>
          Server
          <input
            type="text"
            name="host"
            value={input.host}
            required
            maxlength={300}
            autocomplete="off"
            placeholder="spam.example"
          />
          <small>A host name, or an address on that server.</small>
        </label>
        <label>
          Reason (for the other admins)
          <input
            type="text"
            name="reason"
            value={input.reason}
            maxlength={500}
            autocomplete="off"
          />
        </label>
        <button type="submit">Block</button>
      </form>
      <h2>Blocked</h2>
      {blocks.length === 0 ? (
        <p class="muted">No server is blocked.</p>
      ) : (
        <div class="table-wrap">
          <table data-testid="blocked-domains">
            <thead>
              <tr>
                <th>Server</th>
                <th>Since</th>
                <th>Reason</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {blocks.map((b) => (
                <tr data-host={b.host}>
                  <td>
                    <code>{b.host}</code>
                  </td>
                  <td class="date">{day(b.createdAt, config.timeZone)}</td>
                  <td>{b.reason}</td>
                  <td>
                    <form method="post" action="/admin/domains/unblock" class="inline">
                      <CsrfField token={c.var.csrfToken} />
                      <input type="hidden" name="host" value={b.host} />
                      <button type="submit" class="link">
                        Unblock
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>,
  );
}

export function adminDomainsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/admin/domains", requireLogin(), requireAdmin(), (c) => domainsPage(c));

  app.post("/admin/domains", formGuard(), requireAdmin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const form = await readForm(c);
    const input = {
      host: form.get("host").trim().slice(0, 300),
      reason: form.get("reason").trim().slice(0, 500),
    };
    const r = await blockDomain(database.db, clock, config.origin, input.host, input.reason);
    if (!r.ok) {
      return domainsPage(c, { status: errorStatus(r.error.code), error: r.error.message, input });
    }
    const { host, created, withdrawn } = r.value;
    return domainsPage(c, {
      notice:
        `${created ? "Blocked" : "Already blocked; reason updated:"} ${host}. ` +
        `${withdrawn} flattr${withdrawn === 1 ? "" : "s"} of the open month withdrawn.`,
    });
  });

  app.post("/admin/domains/unblock", formGuard(), requireAdmin(), async (c) => {
    const form = await readForm(c);
    const r = await unblockDomain(c.var.deps.database.db, form.get("host").slice(0, 300));
    if (!r.ok) return domainsPage(c, { status: errorStatus(r.error.code), error: r.error.message });
    return domainsPage(
      c,
      r.value.removed
        ? { notice: `Unblocked ${r.value.host}.` }
        : { status: 404, error: `${r.value.host} is not blocked.` },
    );
  });

  return app;
}
