import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { formatAmount } from "../../money/decimal.ts";
import { formatFeeRate } from "../../money/fee.ts";
import { admitPeer, admitted, suspendPeer } from "../../peers/admission.ts";
import { listPeers, type Peer } from "../../peers/peers.ts";
import { refreshPeerNow } from "../../peers/peers-admin.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage } from "../layout.tsx";
import { moneyPage } from "../money-ui.tsx";
import { requireAdmin, requireLogin } from "../session.ts";

/*
 * /admin/peers: every server this instance has met (through a look-up, a follow, an inbound
 * activity) with what its NodeInfo said and whether it is a peer (our protocol, our currency:
 * its creators are paid through it; anyone else's are unclaimed). Re-read daily by the worker;
 * an administrator may re-read one now. `fediflattr peers` prints the same.
 */

const CSS = `
main, footer { max-width: 72rem; }
table.peers td, table.peers th { vertical-align: top; font-size: 0.92rem; white-space: nowrap; }
table.peers td.host strong { display: block; }
table.peers td.err { color: var(--err); overflow-wrap: anywhere; max-width: 16rem; }
table.peers form { margin: 0; }
.badge { display: inline-block; padding: 0 0.4rem; border-radius: 4px; font-size: 0.85rem;
  white-space: nowrap; }
table.peers td.err { white-space: normal; min-width: 10rem; }
.badge.yes { background: var(--ok-bg); } .badge.no { border: 1px solid var(--line); }
`;

function When(props: { at: Date | null; timeZone: string }) {
  if (props.at === null) return <span class="muted">never</span>;
  const text = props.at.toLocaleString("sv-SE", { timeZone: props.timeZone, hour12: false });
  return <time datetime={props.at.toISOString()}>{text.slice(0, 16)}</time>;
}

function AdmitForms(props: { peer: Peer; currency: string; csrfToken: string }) {
  const p = props.peer;
  if (admitted(p))
    return (
      <form method="post" action="/admin/peers/suspend">
        <CsrfField token={props.csrfToken} />
        <input type="hidden" name="host" value={p.host} />
        <button type="submit" class="link" data-testid="suspend">
          Suspend
        </button>
      </form>
    );
  return (
    <form method="post" action="/admin/peers/admit">
      <CsrfField token={props.csrfToken} />
      <input type="hidden" name="host" value={p.host} />
      <button type="submit" class="link" data-testid="admit">
        {p.suspendedAt === null ? "Admit" : "Admit again"}
      </button>
    </form>
  );
}

function PeerRow(props: { peer: Peer; timeZone: string; currency: string; csrfToken: string }) {
  const { peer: p, timeZone } = props;
  return (
    <tr data-host={p.host}>
      <td class="host">
        <strong>{p.host}</strong>
        <small class="muted">
          {p.software ?? "unknown software"}
          {p.version && ` ${p.version}`}
        </small>
      </td>
      <td>
        <span class={`badge ${p.speaksFlattr ? "yes" : "no"}`} data-testid="is-peer">
          {p.speaksFlattr ? "peer" : "not a peer"}
        </span>
      </td>
      <td>{p.protocolVersion ?? <span class="muted">-</span>}</td>
      <td>{p.currency ?? <span class="muted">-</span>}</td>
      <td class="num">
        {p.feeBp === null ? <span class="muted">-</span> : formatFeeRate(p.feeBp)}
      </td>
      <td class="date">
        <When at={p.firstSeen} timeZone={timeZone} />
      </td>
      <td class="date">
        <When at={p.lastSeen} timeZone={timeZone} />
      </td>
      <td class="err">{p.lastError ?? ""}</td>
      <td data-testid="admitted">
        {admitted(p) ? (
          <span class="badge yes">admitted</span>
        ) : p.suspendedAt !== null ? (
          <span class="badge no">suspended</span>
        ) : (
          <span class="muted">no</span>
        )}
      </td>
      <td class="num" data-testid="credit-limit">
        {formatAmount(p.creditLimit, props.currency)}
      </td>
      <td>
        <form method="post" action="/admin/peers/refresh">
          <CsrfField token={props.csrfToken} />
          <input type="hidden" name="host" value={p.host} />
          <button type="submit" class="link">
            Refresh
          </button>
        </form>
        <AdmitForms peer={p} currency={props.currency} csrfToken={props.csrfToken} />
      </td>
    </tr>
  );
}

async function peersPage(
  c: Context<AppEnv>,
  options: { status?: ContentfulStatusCode; error?: string; notice?: string; host?: string } = {},
) {
  const { config, database } = c.var.deps;
  const peers = await listPeers(database.db);
  const count = peers.filter((p) => p.speaksFlattr).length;
  return moneyPage(
    c,
    { title: "Peers", status: options.status, section: "admin-peers" },
    <>
      <style>{CSS}</style>
      <p>
        Servers this instance has met, and whether each is a <strong>peer</strong>: its NodeInfo
        names a Flattr protocol version we speak and our currency ({config.currency}). Creators on a
        peer are paid through it; creators anywhere else are unclaimed, and their shares are held
        until they claim them. Each server is read again once a day.
      </p>
      <p>
        Money flows only with <strong>admitted</strong> peers: we send them monthly settlement
        summaries and apply theirs. What an admitted peer credits to creators here is payable only
        as its transfers arrive, plus the credit limit you grant it. A server may be admitted before
        we have met it.
      </p>
      <FormMessage error={options.error} notice={options.notice} />
      <form method="post" action="/admin/peers/refresh" class="inline">
        <CsrfField token={c.var.csrfToken} />
        <label>
          Read a server now{" "}
          <input
            type="text"
            name="host"
            value={options.host ?? ""}
            required
            maxlength={300}
            placeholder="example.org"
            autocomplete="off"
          />
        </label>
        <button type="submit">Read NodeInfo</button>
      </form>
      <form method="post" action="/admin/peers/admit" class="inline" data-testid="admit-form">
        <CsrfField token={c.var.csrfToken} />
        <label>
          Admit a server{" "}
          <input
            type="text"
            name="host"
            required
            maxlength={300}
            placeholder="example.org"
            autocomplete="off"
          />
        </label>
        <label>
          credit limit ({config.currency}){" "}
          <input type="text" name="credit_limit" inputmode="decimal" placeholder="0.00" size={8} />
        </label>
        <button type="submit">Admit</button>
      </form>
      {peers.length === 0 ? (
        <p class="muted">No servers met yet.</p>
      ) : (
        <>
          <p data-testid="peer-count">
            {peers.length} server{peers.length === 1 ? "" : "s"}, {count} peer
            {count === 1 ? "" : "s"}.
          </p>
          <div class="table-wrap">
            <table class="peers" data-testid="peers">
              <thead>
                <tr>
                  <th>Server</th>
                  <th>Peer</th>
                  <th>Protocol</th>
                  <th>Currency</th>
                  <th class="num">Fee</th>
                  <th>First seen</th>
                  <th>Last seen</th>
                  <th>Last error</th>
                  <th>Admitted</th>
                  <th class="num">Credit limit</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {peers.map((p) => (
                  <PeerRow
                    peer={p}
                    timeZone={config.timeZone}
                    currency={config.currency}
                    csrfToken={c.var.csrfToken}
                  />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>,
  );
}

export function adminPeersRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/admin/peers", requireLogin(), requireAdmin(), (c) => peersPage(c));
  app.post("/admin/peers/refresh", formGuard(), requireLogin(), requireAdmin(), async (c) => {
    const form = await readForm(c);
    const host = form.get("host").slice(0, 300);
    const r = await refreshPeerNow(c.var.deps, c.var.peerReader, host);
    if (!r.ok)
      return peersPage(c, { status: errorStatus(r.error.code), error: r.error.message, host });
    const p = r.value;
    if (p.lastError !== null)
      return peersPage(c, { error: `Could not read ${p.host}: ${p.lastError}` });
    return peersPage(c, {
      notice: `${p.host} read just now: ${p.speaksFlattr ? "a peer" : "not a peer"}.`,
    });
  });
  app.post("/admin/peers/admit", formGuard(), requireLogin(), requireAdmin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const form = await readForm(c);
    const host = form.get("host").slice(0, 300);
    const limit = form.get("credit_limit").trim();
    const r = await admitPeer(database.db, clock, config, host, {
      creditLimit: limit === "" ? undefined : limit,
    });
    if (!r.ok) return peersPage(c, { status: errorStatus(r.error.code), error: r.error.message });
    return peersPage(c, {
      notice: `${r.value.host} is admitted (credit limit ${formatAmount(r.value.creditLimit, config.currency)} ${config.currency}).`,
    });
  });
  app.post("/admin/peers/suspend", formGuard(), requireLogin(), requireAdmin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const form = await readForm(c);
    const r = await suspendPeer(database.db, clock, config, form.get("host").slice(0, 300));
    if (!r.ok) return peersPage(c, { status: errorStatus(r.error.code), error: r.error.message });
    return peersPage(c, { notice: `${r.value.host} is suspended.` });
  });
  return app;
}
