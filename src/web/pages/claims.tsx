import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import {
  type ClaimView,
  myClaims,
  startClaim,
  verifiedClaims,
  verifyClaim,
} from "../../settlement/claims/local.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage } from "../layout.tsx";
import { money, moneyPage } from "../money-ui.tsx";
import { requireAdmin, requireLogin, requireUser } from "../session.ts";

/*
 * /settings/claims: claim an account on another server to receive what was flattred to it
 * (settlement/claims/local.ts). /admin/claims: every verified claim, rivals next to the winner.
 */

const STATE_TEXT: Record<ClaimView["state"], string> = {
  pending: "waiting for the proof",
  won: "verified: the money held for it is yours",
  rival: "verified, but someone else claimed this account first; the administrators see both",
  failed: "the proof did not hold",
};

function ClaimItem(props: { claim: ClaimView; currency: string; csrfToken: string }) {
  const { claim: x, currency } = props;
  const who = x.account.handle ? `@${x.account.handle}` : x.account.uri;
  return (
    <li data-claim-id={String(x.id)} data-state={x.state}>
      <strong>{who}</strong>: {STATE_TEXT[x.state]}.
      {x.state === "won" && <> Moved to your earnings: {money(x.claimed, currency)}.</>}
      {x.state === "pending" && (
        <>
          <p>
            Put this code in the account's profile (a field or the bio) or in a public post of it:
          </p>
          <p>
            <code data-testid="claim-code">{x.code}</code>
          </p>
          {x.held > 0n && <p>Held for this account now: {money(x.held, currency)}.</p>}
          {x.problem && (
            <p class="error" role="alert">
              {x.problem}
            </p>
          )}
          <form method="post" action={`/settings/claims/${x.id}/verify`} class="stack">
            <CsrfField token={props.csrfToken} />
            <label>
              Address of the post with the code
              <input type="url" name="proof_url" placeholder="empty: the code is in the profile" />
            </label>
            <button type="submit">Verify</button>
          </form>
        </>
      )}
    </li>
  );
}

async function claimsPage(
  c: Context<AppEnv>,
  opts: { status?: ContentfulStatusCode; error?: string; notice?: string } = {},
) {
  const user = requireUser(c);
  const { config } = c.var.deps;
  const claims = await myClaims(c.var.deps, user.id);
  return moneyPage(
    c,
    { title: "Claim an account elsewhere", status: opts.status, section: "claims" },
    <>
      <FormMessage error={opts.error} notice={opts.notice} />
      <p>
        People here may have flattred your posts on a server that does not speak Fediflattr (a
        Mastodon server, for example). That money is held for you. Claim the account to receive it:
        prove it is yours with a code, and what is held, and what comes later, goes to your earnings
        here. Unclaimed money returns to the people who gave it {config.pledgeHoldMonths} months
        after its month ended.
      </p>
      <form method="post" action="/settings/claims" class="stack">
        <CsrfField token={c.var.csrfToken} />
        <label>
          Your account elsewhere
          <input type="text" name="account" required placeholder="@you@mastodon.example" />
        </label>
        <button type="submit">Get a code</button>
      </form>
      <h2>Your claims</h2>
      {claims.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <ul data-testid="claims">
          {claims.map((x) => (
            <ClaimItem claim={x} currency={config.currency} csrfToken={c.var.csrfToken} />
          ))}
        </ul>
      )}
    </>,
  );
}

export function claimsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/settings/claims", requireLogin(), (c) => claimsPage(c));

  app.post("/settings/claims", formGuard(), requireLogin(), async (c) => {
    const user = requireUser(c);
    const form = await readForm(c);
    const r = await startClaim(c.var.deps, c.var.remoteLookup, user.id, form.get("account"));
    if (!r.ok) return claimsPage(c, { status: errorStatus(r.error.code), error: r.error.message });
    return claimsPage(c, { status: 201, notice: "Here is your code." });
  });

  app.post("/settings/claims/:id/verify", formGuard(), requireLogin(), async (c) => {
    const user = requireUser(c);
    const form = await readForm(c);
    const id = Number(c.req.param("id"));
    if (!Number.isSafeInteger(id) || id < 1)
      return claimsPage(c, { status: 404, error: "No such claim." });
    const r = await verifyClaim(c.var.deps, c.var.remoteLookup, user.id, id, form.get("proof_url"));
    if (!r.ok) return claimsPage(c, { status: errorStatus(r.error.code), error: r.error.message });
    return claimsPage(c, {
      notice:
        r.value.state === "won" ? "Verified: the account is yours." : STATE_TEXT[r.value.state],
    });
  });

  app.get("/admin/claims", requireLogin(), requireAdmin(), async (c) => {
    const { config } = c.var.deps;
    const claims = await verifiedClaims(c.var.deps);
    return moneyPage(
      c,
      { title: "Claims of remote accounts", section: "admin-claims" },
      <>
        <p>
          Verified claims of accounts on other servers. The first verified claim of an account wins;
          a rival one (verified later, by someone else) is kept here for you to look into.
        </p>
        {claims.length === 0 ? (
          <p class="muted">None yet.</p>
        ) : (
          <table data-testid="admin-claims">
            <thead>
              <tr>
                <th>Account</th>
                <th>Claimed by</th>
                <th>State</th>
                <th>Proof</th>
                <th class="num">Moved</th>
              </tr>
            </thead>
            <tbody>
              {claims.map((x) => (
                <tr data-state={x.state}>
                  <td>{x.account.handle ? `@${x.account.handle}` : x.account.uri}</td>
                  <td>
                    @{x.claimant.handle}
                    {x.claimant.host && <small class="muted"> (through {x.claimant.host})</small>}
                  </td>
                  <td>{x.state === "rival" ? <strong>rival</strong> : x.state}</td>
                  <td>
                    {x.proofUrl && (
                      <a href={x.proofUrl} rel="nofollow noopener noreferrer ugc">
                        proof
                      </a>
                    )}
                  </td>
                  <td class="num">{money(x.claimed, config.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </>,
    );
  });

  return app;
}
