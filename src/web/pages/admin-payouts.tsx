import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { profilePath } from "../../http/urls.ts";
import { approvePayouts, failPayout, markBatchPaid } from "../../settlement/payout-batches.ts";
import { batchCsv, batchSepaXml } from "../../settlement/payout-export.ts";
import { listPayouts, type Payout } from "../../settlement/payouts.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage } from "../layout.tsx";
import { Amount, money, moneyPage, parseId, problemPage } from "../money-ui.tsx";
import { requireAdmin, requireLogin } from "../session.ts";

/*
 * /admin/payouts: the admin's side of payouts, through the same doors as `fediflattr payouts`
 * (src/settlement/payout-batches.ts, payout-export.ts). Approving reserves the money at once;
 * the batch's SEPA file and CSV download here; the batch is then marked paid, or a payout failed.
 */

const day = (d: Date, timeZone: string) =>
  d.toLocaleDateString("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });

function Row(props: { p: Payout; timeZone: string; csrf: string; actions: boolean }) {
  const { p } = props;
  return (
    <tr data-payout-id={p.id} data-status={p.status}>
      <td>#{p.id}</td>
      <td>
        <a href={profilePath(p.username)}>@{p.username}</a>
      </td>
      <td>{p.source === "earnings" ? "earnings" : "wallet withdrawal"}</td>
      <td>
        {p.holder}
        <br />
        <code>{p.iban}</code> {p.bic && <code>{p.bic}</code>}
      </td>
      <td class="num">
        <Amount minor={p.amount} currency={p.currency} />
      </td>
      <td class="date">{day(p.requestedAt, props.timeZone)}</td>
      <td>
        {p.status}
        {p.note && <small class="muted"> ({p.note})</small>}
      </td>
      <td>
        {props.actions && p.status === "requested" && (
          <form method="post" action={`/admin/payouts/approve`} class="inline">
            <CsrfField token={props.csrf} />
            <input type="hidden" name="id" value={String(p.id)} />
            <button type="submit">Approve alone</button>
          </form>
        )}
        {props.actions && (p.status === "requested" || p.status === "approved") && (
          <form method="post" action={`/admin/payouts/${p.id}/fail`} class="inline">
            <CsrfField token={props.csrf} />
            <input type="text" name="reason" placeholder="Reason" maxlength={500} />
            <button type="submit">{p.status === "requested" ? "Turn down" : "Failed"}</button>
          </form>
        )}
      </td>
    </tr>
  );
}

function Table(props: {
  rows: Payout[];
  timeZone: string;
  csrf: string;
  actions: boolean;
  testid: string;
}) {
  if (props.rows.length === 0) return <p class="muted">None.</p>;
  return (
    <div class="table-wrap">
      <table data-testid={props.testid}>
        <thead>
          <tr>
            <th>Payout</th>
            <th>User</th>
            <th>From</th>
            <th>To</th>
            <th class="num">Amount</th>
            <th>Requested</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.rows.map((p) => (
            <Row p={p} timeZone={props.timeZone} csrf={props.csrf} actions={props.actions} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

async function adminPayoutsPage(
  c: Context<AppEnv>,
  fb: { status?: ContentfulStatusCode; error?: string; notice?: string } = {},
) {
  const { config, database } = c.var.deps;
  const db = database.db;
  const [requested, approved, recent] = await Promise.all([
    listPayouts(db, "requested"),
    listPayouts(db, "approved"),
    listPayouts(db, undefined, 50),
  ]);
  const batches = new Map<number, Payout[]>();
  for (const p of approved) batches.set(p.batchId!, [...(batches.get(p.batchId!) ?? []), p]);
  const csrf = c.var.csrfToken;
  const tz = config.timeZone;
  const waiting = requested.reduce((s, p) => s + p.amount, 0n);
  return moneyPage(
    c,
    { title: "Payouts (admin)", status: fb.status, section: "admin-payouts" },
    <>
      <FormMessage error={fb.error} notice={fb.notice} />
      <h2>Waiting for approval</h2>
      <p>
        Approving reserves each amount at once (checked again against what the person may take out
        now), so no two batches pay the same money. Then download the batch's file for the bank, and
        mark it paid once the bank has executed it.
      </p>
      {requested.length > 0 && (
        <form method="post" action="/admin/payouts/approve" class="inline">
          <CsrfField token={csrf} />
          <button type="submit">
            Approve all {requested.length} as one batch ({money(waiting, config.currency)})
          </button>
        </form>
      )}
      <Table rows={requested} timeZone={tz} csrf={csrf} actions testid="requested" />
      <h2>Approved batches</h2>
      {batches.size === 0 && <p class="muted">No batch waiting to be paid.</p>}
      {[...batches].map(([id, rows]) => (
        <section data-batch-id={id}>
          <h3>
            Batch #{id}: {rows.length} transfer(s),{" "}
            {money(
              rows.reduce((s, p) => s + p.amount, 0n),
              config.currency,
            )}
          </h3>
          <p>
            <a href={`/admin/payouts/batches/${id}/sepa.xml`}>SEPA file (pain.001.001.03)</a> ·{" "}
            <a href={`/admin/payouts/batches/${id}/payouts.csv`}>CSV</a>
          </p>
          <form method="post" action={`/admin/payouts/batches/${id}/paid`} class="inline">
            <CsrfField token={csrf} />
            <button type="submit">The bank executed it: mark paid</button>
          </form>
          <Table rows={rows} timeZone={tz} csrf={csrf} actions testid={`batch-${id}`} />
        </section>
      ))}
      <h2>Recent</h2>
      <Table rows={recent} timeZone={tz} csrf={csrf} actions={false} testid="recent" />
    </>,
  );
}

export function adminPayoutsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/admin/payouts", requireLogin(), requireAdmin(), (c) =>
    adminPayoutsPage(c, { notice: c.req.query("done") ? "Done." : undefined }),
  );

  app.post("/admin/payouts/approve", formGuard(), requireAdmin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const form = await readForm(c);
    const one = form.get("id");
    const id = one === "" ? null : parseId(one);
    if (one !== "" && id === null)
      return adminPayoutsPage(c, { status: 404, error: "There is no such payout." });
    const r = await approvePayouts(database.db, clock, config, {
      ids: id === null ? undefined : [id],
      approvedBy: c.var.user!.username,
    });
    if (!r.ok)
      return adminPayoutsPage(c, { status: errorStatus(r.error.code), error: r.error.message });
    const { batchId, approved, skipped } = r.value;
    const total = approved.reduce((s, p) => s + p.amount, 0n);
    const left = skipped.map((s) => ` Left waiting: #${s.payout.id}: ${s.reason}.`).join("");
    return adminPayoutsPage(c, {
      notice: `Batch #${batchId}: ${approved.length} payout(s), ${money(total, config.currency)} reserved.${left}`,
    });
  });

  app.post("/admin/payouts/:id/fail", formGuard(), requireAdmin(), async (c) => {
    const { database, clock } = c.var.deps;
    const id = parseId(c.req.param("id"));
    if (id === null) return adminPayoutsPage(c, { status: 404, error: "There is no such payout." });
    const form = await readForm(c);
    const r = await failPayout(database.db, clock, id, form.get("reason"));
    if (!r.ok)
      return adminPayoutsPage(c, { status: errorStatus(r.error.code), error: r.error.message });
    return c.redirect("/admin/payouts?done=1", 303);
  });

  app.post("/admin/payouts/batches/:id/paid", formGuard(), requireAdmin(), async (c) => {
    const { database, clock } = c.var.deps;
    const id = parseId(c.req.param("id"));
    if (id === null) return adminPayoutsPage(c, { status: 404, error: "There is no such batch." });
    const r = await markBatchPaid(database.db, clock, id);
    if (!r.ok)
      return adminPayoutsPage(c, { status: errorStatus(r.error.code), error: r.error.message });
    return c.redirect("/admin/payouts?done=1", 303);
  });

  app.get(
    "/admin/payouts/batches/:id/:file{sepa\\.xml|payouts\\.csv}",
    requireLogin(),
    requireAdmin(),
    async (c) => {
      const { config, database, clock } = c.var.deps;
      const id = parseId(c.req.param("id"));
      if (id === null)
        return problemPage(c, 404, "Not found", "There is no such batch.", "admin-payouts");
      const r =
        c.req.param("file") === "sepa.xml"
          ? await batchSepaXml(database.db, config, id, clock.now())
          : await batchCsv(database.db, id);
      if (!r.ok)
        return problemPage(
          c,
          errorStatus(r.error.code),
          "Payout file",
          r.error.message,
          "admin-payouts",
        );
      return c.body(r.value.body, 200, {
        "content-type": r.value.contentType,
        "content-disposition": `attachment; filename="${r.value.filename}"`,
        "cache-control": "no-store",
      });
    },
  );

  return app;
}
