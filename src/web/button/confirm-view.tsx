import type { Context } from "hono";
import { raw } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ThingOwner } from "../../flattr/resolve-owner.ts";
import type { AppEnv } from "../../http/env.ts";
import { profilePath } from "../../http/urls.ts";
import { formatFeeRate } from "../../money/fee.ts";
import { formatMoney } from "../../money/format.ts";
import { periodLabel } from "../../periods/period.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { OwnerLink, PayeeNote } from "../owner-view.tsx";
import { VerifiedMark } from "../verified-view.tsx";
import type { VisitorMoney } from "./visitor.ts";

/** What is about to be flattred: a registered thing, or one the confirmation will register. */
export interface Target {
  /** Null until the first flattr registers it (auto-submit link, a profile never flattred). */
  thingId: number | null;
  title: string;
  url: string;
  description: string;
  owner: { username: string; displayName: string };
  /** The owner as resolved (local, peer or unclaimed): says where the money goes. */
  recipient?: ThingOwner;
  flattrsThisPeriod: number;
  flattrsAllTime: number;
  /** For web pages: whether the page links back to its owner; undefined for profiles and posts. */
  verified?: boolean;
}

const CSS = `
.confirm { border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.2rem; margin: 1rem 0; }
.confirm form { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; margin-top: 1rem; }
.confirm button:not(.link) { font-size: 1.1rem; padding: 0.6rem 1.4rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.warning { padding: 0.6rem 0.8rem; border-radius: 6px; border: 1px solid #c98a00;
  background: color-mix(in srgb, #f5b800 18%, transparent); }
.amount { font-variant-numeric: tabular-nums; white-space: nowrap; }
`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function Money(props: { minor: bigint; currency: string }) {
  return <span class="amount">{formatMoney(props.minor, props.currency)}</span>;
}

function ownerName(owner: Target["owner"]): string {
  return owner.displayName && owner.displayName !== owner.username
    ? `${owner.displayName} (@${owner.username})`
    : `@${owner.username}`;
}

function Facts(props: { target: Target; period: string }) {
  const t = props.target;
  return (
    <dl class="facts">
      <dt>By</dt>
      <dd data-testid="owner">
        {t.recipient ? (
          <OwnerLink owner={t.recipient} />
        ) : (
          <a href={profilePath(t.owner.username)}>{ownerName(t.owner)}</a>
        )}
      </dd>
      {t.recipient && t.recipient.kind !== "local" && (
        <>
          <dt>Money</dt>
          <dd>
            <PayeeNote owner={t.recipient} />
          </dd>
        </>
      )}
      {t.verified !== undefined && (
        <>
          <dt>Owner</dt>
          <dd>
            <VerifiedMark thing={{ kind: "page", verified: t.verified }} />
          </dd>
        </>
      )}
      <dt>Link</dt>
      <dd>
        <a href={t.url} rel="nofollow noopener noreferrer ugc" data-testid="thing-url">
          {t.url}
        </a>
      </dd>
      {t.description && (
        <>
          <dt>About</dt>
          <dd class="bio">{t.description}</dd>
        </>
      )}
      <dt>Flattrs</dt>
      <dd data-testid="thing-counts">
        {plural(t.flattrsThisPeriod, "flattr")} in {periodLabel(props.period)}, {t.flattrsAllTime}{" "}
        in total
      </dd>
    </dl>
  );
}

function FeeLine(props: { feeBp: number; fee: bigint; currency: string }) {
  if (props.feeBp === 0) return <p data-testid="fee">This instance takes no fee.</p>;
  return (
    <p data-testid="fee">
      This instance keeps a fee of {formatFeeRate(props.feeBp)} of what you pay each month (now{" "}
      <Money minor={props.fee} currency={props.currency} />
      ); the rest goes to the creators you flattr.
    </p>
  );
}

/** The visitor's budget, wallet and what one flattr would be worth with this one added. */
function MoneyFacts(props: { money: VisitorMoney; feeBp: number }) {
  const { money } = props;
  const cur = money.currency;
  if (!money.budget) {
    return (
      <p class="warning" role="alert" data-testid="no-budget">
        You have no monthly budget yet. Your flattrs share your budget at the end of the month, so{" "}
        <a href="/budget">set a budget</a> first, then come back to this page.
      </p>
    );
  }
  const count = money.flattrs.length + 1;
  const { each, exact } = money.oneMore;
  return (
    <>
      <p data-testid="budget">
        Your monthly budget is <Money minor={money.budget.amount} currency={cur} />; your wallet
        holds <Money minor={money.balance} currency={cur} />.{" "}
        {count > 0 && (
          <>
            With this one you have {plural(count, "flattr")} in {periodLabel(money.period)}: each
            would get {exact ? "" : "about "}
            <Money minor={each} currency={cur} /> if the month ended now.
          </>
        )}
      </p>
      {money.balance < money.budget.amount && (
        <p class="warning" data-testid="low-balance">
          Your wallet holds less than your budget: at the end of the month only what is in it is
          shared. <a href="/wallet">Top up your wallet</a>.
        </p>
      )}
      <FeeLine feeBp={props.feeBp} fee={money.fee} currency={cur} />
    </>
  );
}

export interface ConfirmOptions {
  target: Target;
  money: VisitorMoney;
  /** Where the form posts, and the hidden fields it carries besides the CSRF token. */
  action: string;
  hidden?: Record<string, string>;
  status?: ContentfulStatusCode;
  error?: string;
  notice?: string;
  /** The visitor owns the thing: no form, only the explanation. */
  own?: boolean;
}

/** GET of a confirmation page: everything the payer should know, and one POST form. */
export function confirmPage(c: Context<AppEnv>, o: ConfirmOptions) {
  const { config } = c.var.deps;
  const { target, money } = o;
  const canConfirm = !o.own && money.budget !== null;
  return renderPage(
    c,
    {
      title: `Flattr “${target.title}”?`,
      status: o.status,
      head: <style>{raw(CSS)}</style>,
    },
    <>
      <FormMessage error={o.error} notice={o.notice} />
      <Facts target={target} period={money.period} />
      {target.thingId === null && (
        <p class="muted" data-testid="first-flattr">
          This page is not registered here yet: confirming registers it for @{target.owner.username}{" "}
          and flattrs it.
        </p>
      )}
      <section class="confirm" aria-label="Confirm">
        {o.own ? (
          <p data-testid="own-thing">
            This is your own {target.thingId === null ? "page" : "thing"}: you cannot flattr your
            own things.{" "}
            {target.thingId !== null && (
              <a href={`/things/${target.thingId}/embed`}>Get the button for your website</a>
            )}
          </p>
        ) : (
          <MoneyFacts money={money} feeBp={config.feeBp} />
        )}
        {canConfirm && (
          <form method="post" action={o.action}>
            <CsrfField token={c.var.csrfToken} />
            {Object.entries(o.hidden ?? {}).map(([name, value]) => (
              <input type="hidden" name={name} value={value} />
            ))}
            <button type="submit" data-testid="confirm-flattr">
              Flattr it
            </button>
            <a href={target.url} rel="nofollow noopener noreferrer">
              Cancel
            </a>
          </form>
        )}
      </section>
    </>,
  );
}

/** The result page: the visitor has flattred this thing in the current period. */
export function flattredPage(
  c: Context<AppEnv>,
  o: {
    target: Target & { thingId: number };
    money: VisitorMoney;
    value: bigint;
    /** The thing's flattrs of all time, for the opener's counter. */
    count: number;
    /** Right after the confirmation: tell the opener and close this window if it is a popup. */
    justFlattred: boolean;
    status?: ContentfulStatusCode;
    error?: string;
  },
) {
  const { target, money } = o;
  const cur = money.currency;
  return renderPage(
    c,
    {
      title: `You flattred “${target.title}”`,
      status: o.status,
      head: (
        <>
          <style>{raw(CSS)}</style>
          {o.justFlattred && <TellOpener thingId={target.thingId} count={o.count} />}
        </>
      ),
    },
    <>
      <FormMessage error={o.error} />
      <p class="notice" role="status" data-testid="flattred">
        Thank you! You flattred “{target.title}” in {periodLabel(money.period)}.
      </p>
      <Facts target={target} period={money.period} />
      <section class="confirm" aria-label="Your flattr">
        <p data-testid="value">
          If the month ended now, this flattr would get <Money minor={o.value} currency={cur} /> of
          your budget (
          {money.flattrs.length === 1
            ? "your only flattr this month"
            : `${money.flattrs.length} flattrs share it`}
          ). <a href="/flattrs">All your flattrs this month</a>
        </p>
        <form method="post" action={`/things/${target.thingId}/flattr/undo`}>
          <CsrfField token={c.var.csrfToken} />
          <button type="submit" class="link" data-testid="undo">
            Undo this flattr
          </button>
        </form>
        <p>
          <a href={target.url} rel="nofollow noopener noreferrer">
            Back to {target.url}
          </a>
        </p>
      </section>
    </>,
  );
}

/**
 * After a confirmed flattr in a window another page opened (a button's link): the opener and
 * the page around it (the button is a frame of the host page: `opener.parent`) get a message
 * with the thing and its new count, which button.js turns into a fresh counter; then the window
 * closes itself, after a moment to read the thanks. The message says only what the counter
 * shows anyway. Opened any other way (typed, a plain tab), nothing happens.
 */
function TellOpener(props: { thingId: number; count: number }) {
  const message = JSON.stringify({
    type: "fediflattr:flattred",
    thingId: props.thingId,
    count: props.count,
  });
  return (
    <script>
      {raw(`(function () {
  var o = window.opener;
  if (!o) return;
  var m = ${message};
  try { o.postMessage(m, "*"); } catch (e) {}
  try { if (o.parent && o.parent !== o) o.parent.postMessage(m, "*"); } catch (e) {}
  addEventListener("DOMContentLoaded", function () {
    var n = document.querySelector("[data-testid=flattred]");
    if (n) n.appendChild(document.createTextNode(" This window closes by itself."));
  });
  setTimeout(function () { window.close(); }, 1200);
})();`)}
    </script>
  );
}
