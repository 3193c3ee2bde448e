import { raw } from "hono/html";
import { MAX_RESOLVE_INPUT_LENGTH } from "../../flattr/resolve-input.ts";
import { profilePath, searchPath, thingPath } from "../../http/urls.ts";
import type { HomeSummary, ReceivedFlattr } from "../../settlement/home-summary.ts";
import { Amount, periodLabel } from "../money-ui.tsx";
import { CreatorLink } from "../share-route.tsx";

/*
 * The signed-in home page's money part: the month at a glance (wallet, budget, what each flattr
 * is worth now), what to do next when something is missing, the latest flattrs both ways and a
 * search box. Every figure comes from settlement/home-summary.ts: nothing is computed here.
 */

const CSS = `
.month { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 0.75rem;
  margin: 1rem 0; }
.month .tile { border: 1px solid var(--line); border-radius: 8px; padding: 0.6rem 0.8rem; }
.month .tile .label { color: var(--muted); font-size: 0.85rem; display: block; }
.month .tile .value { font-size: 1.35rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.month .tile a { font-size: 0.85rem; }
.next-step { margin: 1rem 0; }
form.home-search { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: 1rem 0; }
form.home-search input { flex: 1 1 14rem; min-width: 0; font: inherit; padding: 0.5rem;
  border: 1px solid var(--line); border-radius: 6px; background: transparent; color: inherit; }
ul.latest { list-style: none; padding: 0; margin: 0.5rem 0; }
ul.latest li { padding: 0.35rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
.two-col { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 0 1.5rem; }
`;

export const homeHead = () => <style>{raw(CSS)}</style>;

const day = (d: Date, timeZone: string) =>
  d.toLocaleDateString("en-GB", { timeZone, day: "numeric", month: "short" });

/** The one thing that keeps this month's flattrs from being worth money, and how to fix it. */
function NextStep(props: { summary: HomeSummary }) {
  const { summary } = props;
  switch (summary.nextStep) {
    case "set_budget":
      return (
        <p class="warning next-step" data-testid="next-step" data-step="set_budget">
          <strong>Next step: set a monthly budget.</strong> It says how much your flattrs share at
          the end of the month. <a href="/budget">Set your budget</a>
        </p>
      );
    case "top_up":
      return (
        <p class="warning next-step" data-testid="next-step" data-step="top_up">
          <strong>Next step: put money in your wallet.</strong> Your budget is shared from it; with
          an empty wallet your flattrs are worth nothing. <a href="/wallet">Top up your wallet</a>
        </p>
      );
    case "flattr":
      return (
        <p class="notice next-step" data-testid="next-step" data-step="flattr">
          <strong>Next step: flattr something you like.</strong> Find a post or a profile below, or{" "}
          <a href="/discover">discover what people here make</a>.
        </p>
      );
    default:
      return null;
  }
}

/** Wallet, budget and the value of a flattr now, as tiles. */
export function MonthTiles(props: { summary: HomeSummary }) {
  const s = props.summary;
  const cur = s.currency;
  return (
    <section class="month" aria-label={periodLabel(s.period)} data-testid="month">
      <div class="tile">
        <span class="label">Wallet</span>
        <span class="value" data-testid="home-balance">
          <Amount minor={s.balance} currency={cur} />
        </span>
        <a href="/wallet">Wallet and top-up</a>
      </div>
      <div class="tile">
        <span class="label">Monthly budget</span>
        <span class="value" data-testid="home-budget">
          {s.budget ? <Amount minor={s.budget.amount} currency={cur} /> : "none yet"}
        </span>
        <a href="/budget">{s.budget ? "Change" : "Set one"}</a>
      </div>
      <div class="tile">
        <span class="label">
          {periodLabel(s.period)}: {s.flattrCount === 1 ? "1 flattr" : `${s.flattrCount} flattrs`}
        </span>
        <span class="value" data-testid="home-each">
          {s.each ? (
            <>
              {s.each.exact ? "" : "about "}
              <Amount minor={s.each.each} currency={cur} /> each
            </>
          ) : (
            <>
              <Amount minor={s.oneMore.each} currency={cur} /> for your first
            </>
          )}
        </span>
        <a href="/flattrs">This month</a>
      </div>
      <div class="tile">
        <span class="label">Your things earn in {periodLabel(s.period)}</span>
        <span class="value" data-testid="home-earned">
          <Amount minor={s.earned} currency={cur} />
        </span>
        <a href="/earnings">Earnings</a>
      </div>
    </section>
  );
}

/** Shares that do not stay on this instance: paid through a peer, or held for a claimant. */
function InTransit(props: { summary: HomeSummary }) {
  const s = props.summary;
  if (s.inTransit === 0n && s.held === 0n && s.remoteFlattrsReceived === 0) return null;
  return (
    <ul class="muted" data-testid="in-transit">
      {s.inTransit > 0n && (
        <li>
          <Amount minor={s.inTransit} currency={s.currency} /> of this month's shares go to creators
          on other Fediflattr servers, paid through their server's monthly settlement.
        </li>
      )}
      {s.held > 0n && (
        <li>
          <Amount minor={s.held} currency={s.currency} /> will be held for creators whose server
          cannot pay them, until they claim it (or it comes back to you).
        </li>
      )}
      {s.remoteFlattrsReceived > 0 && (
        <li>
          {s.remoteFlattrsReceived === 1
            ? "1 flattr of your things came"
            : `${s.remoteFlattrsReceived} flattrs of your things came`}{" "}
          from other servers: their money arrives with that server's settlement.
        </li>
      )}
    </ul>
  );
}

function ReceivedFrom(props: { flattr: ReceivedFlattr }) {
  const f = props.flattr;
  if (f.source === "remote" && f.fromUrl)
    return (
      <a href={f.fromUrl} rel="nofollow noopener noreferrer ugc">
        <bdi>@{f.from}</bdi>
      </a>
    );
  if (f.source === "remote") return <bdi>@{f.from}</bdi>;
  return (
    <a href={profilePath(f.from)}>
      <bdi>@{f.from}</bdi>
    </a>
  );
}

function Latest(props: { summary: HomeSummary; timeZone: string }) {
  const s = props.summary;
  return (
    <div class="two-col">
      <section data-testid="latest-given">
        <h2>You flattred</h2>
        {s.latestGiven.length === 0 ? (
          <p class="muted">Nothing this month yet.</p>
        ) : (
          <ul class="latest">
            {s.latestGiven.map((f) => (
              <li data-thing-id={f.thingId}>
                <a href={thingPath(f.thingId)}>
                  <bdi>{f.title}</bdi>
                </a>{" "}
                <span class="muted">
                  by <CreatorLink flattr={f} />, now{" "}
                  <Amount minor={f.value} currency={s.currency} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section data-testid="latest-received">
        <h2>Your things were flattred</h2>
        {s.latestReceived.length === 0 ? (
          <p class="muted">
            Nobody yet. <a href="/things">Register a thing</a> or share your profile's button.
          </p>
        ) : (
          <ul class="latest">
            {s.latestReceived.map((f) => (
              <li data-thing-id={f.thingId} data-source={f.source}>
                <a href={thingPath(f.thingId)}>
                  <bdi>{f.title}</bdi>
                </a>{" "}
                <span class="muted">
                  by <ReceivedFrom flattr={f} />, {day(f.at, props.timeZone)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

/** The search box that leads to a thing page (src/web/pages/search.tsx resolves it). */
function FindBox() {
  return (
    <form method="get" action={searchPath()} class="home-search">
      <input
        type="search"
        name="q"
        required
        maxlength={MAX_RESOLVE_INPUT_LENGTH}
        placeholder="@alice@example.org or https://…"
        aria-label="A fediverse handle or the address of a post or page"
        autocomplete="off"
        spellcheck={false}
      />
      <button type="submit">Find and flattr</button>
    </form>
  );
}

export function HomeMonth(props: { summary: HomeSummary; timeZone: string }) {
  return (
    <>
      <NextStep summary={props.summary} />
      <MonthTiles summary={props.summary} />
      <InTransit summary={props.summary} />
      <FindBox />
      <Latest summary={props.summary} timeZone={props.timeZone} />
    </>
  );
}
