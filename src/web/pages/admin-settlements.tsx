import { Hono } from "hono";
import type { AppEnv } from "../../http/env.ts";
import { clearingPositions } from "../../settlement/clearing.ts";
import { listReceived } from "../../settlement/summaries/received.ts";
import { listSent } from "../../settlement/summaries/sent.ts";
import { Amount, moneyPage } from "../money-ui.tsx";
import { requireAdmin, requireLogin } from "../session.ts";

/*
 * /admin/settlements: the summaries sent to and received from each peer with their states, and
 * the clearing positions (what each side owes, transfers, net, mismatches with the peer's
 * notices). `fediflattr settlements` and `fediflattr clearing` print the same.
 */

export function adminSettlementsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/admin/settlements", requireLogin(), requireAdmin(), async (c) => {
    const { config, database } = c.var.deps;
    const db = database.db;
    const [sent, received, positions] = await Promise.all([
      listSent(db),
      listReceived(db),
      clearingPositions(db, config),
    ]);
    const cur = config.currency;
    return moneyPage(
      c,
      { title: "Settlements", section: "admin-peers" },
      <>
        <p>
          Summaries between this instance and its admitted peers, one per peer and month, and where
          each side stands. A returned share goes back to its payer without the fee, which paid for
          the close.
        </p>
        <h2>Clearing</h2>
        <table data-testid="clearing">
          <thead>
            <tr>
              <th>Peer</th>
              <th class="num">We owe</th>
              <th class="num">They owe</th>
              <th class="num">Sent</th>
              <th class="num">Received</th>
              <th class="num">Net</th>
              <th>Their notices</th>
            </tr>
          </thead>
          <tbody>
            {positions.map((p) => (
              <tr data-host={p.peerHost}>
                <td>{p.peerHost}</td>
                <td class="num">
                  <Amount minor={p.weOwe} currency={cur} />
                </td>
                <td class="num">
                  <Amount minor={p.theyOwe} currency={cur} />
                </td>
                <td class="num">
                  <Amount minor={p.sent} currency={cur} />
                </td>
                <td class="num">
                  <Amount minor={p.received} currency={cur} />
                </td>
                <td class="num">
                  {p.net === 0n ? "even" : p.net > 0n ? "we owe " : "they owe "}
                  {p.net !== 0n && <Amount minor={p.net > 0n ? p.net : -p.net} currency={cur} />}
                </td>
                <td class={p.mismatches.length > 0 ? "err" : ""}>
                  {p.noticedSent === null &&
                    p.noticedReceived === null &&
                    p.mismatches.length === 0 &&
                    "-"}
                  {p.noticedSent !== null && (
                    <>
                      they say they sent <Amount minor={p.noticedSent} currency={cur} />{" "}
                    </>
                  )}
                  {p.noticedReceived !== null && (
                    <>
                      they say they received <Amount
                        minor={p.noticedReceived}
                        currency={cur}
                      />{" "}
                    </>
                  )}
                  {p.mismatches.length > 0 && `mismatch (${p.mismatches.length})`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {positions.some((p) => p.mismatches.length > 0) && (
          <>
            <h3>Transfers that do not match</h3>
            <p>
              What we recorded against what the peer's signed notices say, by bank reference. The
              peer's word never makes money payable here: only a transfer recorded as received does.
            </p>
            <ul data-testid="mismatches">
              {positions.flatMap((p) =>
                p.mismatches.map((m) => (
                  <li class="err" data-host={p.peerHost}>
                    {p.peerHost}: {m.message}
                  </li>
                )),
              )}
            </ul>
          </>
        )}
        <h2>Summaries</h2>
        <table data-testid="summaries">
          <thead>
            <tr>
              <th />
              <th>Peer</th>
              <th>Period</th>
              <th class="num">#</th>
              <th class="num">Total</th>
              <th class="num">Lines</th>
              <th>State</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {sent.map((s) => (
              <tr>
                <td>sent</td>
                <td>{s.peerHost}</td>
                <td>{s.period}</td>
                <td class="num">{s.sequence}</td>
                <td class="num">
                  <Amount minor={s.total} currency={s.currency} />
                </td>
                <td class="num">{s.lineCount}</td>
                <td>
                  {s.state}
                  {s.refundedAt && " (refunded)"}
                </td>
                <td>
                  {s.reason && `${s.reason}${s.final ? " (final)" : " (retryable)"}`}
                  {s.message && `: ${s.message}`}
                  {s.lastError && <small class="muted"> last delivery: {s.lastError}</small>}
                </td>
              </tr>
            ))}
            {received.map((s) => (
              <tr>
                <td>received</td>
                <td>{s.peerHost}</td>
                <td>{s.period}</td>
                <td class="num">{s.sequence}</td>
                <td class="num">
                  <Amount minor={s.total} currency={s.currency} />
                </td>
                <td class="num">{s.lineCount}</td>
                <td>{s.state}</td>
                <td>
                  {s.reason ?? ""}
                  {s.message && `: ${s.message}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </>,
    );
  });
  return app;
}
