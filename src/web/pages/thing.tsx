import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { getBudget } from "../../flattr/budget.ts";
import { FlattrError } from "../../flattr/errors.ts";
import { flattr, unflattr } from "../../flattr/flattr.ts";
import { thingOwner } from "../../flattr/resolve-owner.ts";
import { remoteObjectDeleted } from "../../flattr/resolve-things.ts";
import { getThing, type ThingView } from "../../flattr/things.ts";
import { type AppEnv, socialDeps } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { thingPath } from "../../http/urls.ts";
import { flattrValues } from "../../settlement/values.ts";
import { findPostByThing } from "../../social/posts.ts";
import { formGuard } from "../csrf.ts";
import { CsrfField, FormMessage } from "../layout.tsx";
import { Amount, moneyPage, parseId, periodLabel, problemPage } from "../money-ui.tsx";
import { OwnerLink, PayeeNote } from "../owner-view.tsx";
import { requireLogin, requireUser } from "../session.ts";

const NOTICES: Record<string, string> = {
  flattred: "Flattred! Your budget is shared between your flattrs at the end of the month.",
  unflattred: "Your flattr was withdrawn.",
  registered: "Your thing is registered. Share this page so people can flattr it.",
  existing: "You had already registered this URL: here it is.",
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What the viewer may do with the thing. */
type Viewer =
  | { kind: "visitor" }
  | { kind: "owner" }
  | { kind: "flattred"; value: bigint; currency: string }
  | { kind: "can-flattr"; hasBudget: boolean };

async function viewerOf(c: Context<AppEnv>, thing: ThingView): Promise<Viewer> {
  const user = c.var.user;
  if (!user) return { kind: "visitor" };
  if (user.id === thing.owner.id) return { kind: "owner" };
  const { config, database } = c.var.deps;
  const [mine, budget] = await Promise.all([
    flattrValues(database.db, config, user.id, thing.period),
    getBudget(database.db, config, user.id),
  ]);
  const own = mine.flattrs.find((f) => f.thingId === thing.id);
  if (own) return { kind: "flattred", value: own.value, currency: mine.currency };
  return { kind: "can-flattr", hasBudget: budget !== null };
}

function FlattrBox(props: { thing: ThingView; viewer: Viewer; csrfToken: string }) {
  const { thing, viewer } = props;
  switch (viewer.kind) {
    case "visitor":
      return (
        <p>
          <a href={`/login?next=${encodeURIComponent(thingPath(thing.id))}`}>Log in</a> to flattr
          this.
        </p>
      );
    case "owner":
      return <p class="muted">This is your thing.</p>;
    case "flattred":
      return (
        <form method="post" action={`/things/${thing.id}/unflattr`} class="inline">
          <CsrfField token={props.csrfToken} />
          <p>
            You flattred this in {periodLabel(thing.period)}. Right now it would get{" "}
            <Amount minor={viewer.value} currency={viewer.currency} /> of your budget.
          </p>
          <button type="submit">Unflattr</button>
        </form>
      );
    case "can-flattr":
      return (
        <form method="post" action={`/things/${thing.id}/flattr`} class="inline">
          <CsrfField token={props.csrfToken} />
          {!viewer.hasBudget && (
            <p class="muted">
              You need a <a href="/budget">monthly budget</a> before you can flattr.
            </p>
          )}
          <button type="submit">Flattr</button>
        </form>
      );
  }
}

/** How many of a count are incoming flattrs from users of other servers (remote flattrers). */
function FromOtherServers(props: { n: number }) {
  if (props.n === 0) return null;
  return <small class="muted"> ({props.n} from other servers)</small>;
}

async function thingPage(
  c: Context<AppEnv>,
  thing: ThingView,
  options: { status?: ContentfulStatusCode; error?: string; notice?: string } = {},
) {
  const { config, database } = c.var.deps;
  const [viewer, owner, deleted, post] = await Promise.all([
    viewerOf(c, thing),
    thingOwner(database.db, config, thing),
    remoteObjectDeleted(database.db, thing),
    // A local post: its flattrs stay here after it is deleted, and the page says so.
    thing.kind === "note" && thing.ownerKind === "local"
      ? findPostByThing(socialDeps(c), thing.id)
      : null,
  ]);
  return moneyPage(
    c,
    { title: thing.title, status: options.status },
    <>
      <FormMessage error={options.error} notice={options.notice} />
      {deleted && (
        <p class="muted" data-testid="deleted">
          This was deleted on its server. Flattrs made before stay as they were.
        </p>
      )}
      {post?.deletedAt && (
        <p class="notice" data-testid="post-deleted">
          This post was deleted by its author. Its flattrs and their history stay.
        </p>
      )}
      <dl class="facts">
        <dt>By</dt>
        <dd data-testid="owner">
          <OwnerLink owner={owner} />
        </dd>
        {owner.kind !== "local" && (
          <>
            <dt>Money</dt>
            <dd>
              <PayeeNote owner={owner} />
            </dd>
          </>
        )}
        <dt>Link</dt>
        <dd>
          <a class="url" href={thing.url} rel="nofollow noopener noreferrer ugc">
            {thing.url}
          </a>
        </dd>
        <dt>This month</dt>
        <dd data-testid="flattrs-this-month">
          {plural(thing.flattrsThisPeriod, "flattr")} in {periodLabel(thing.period)}
          <FromOtherServers n={thing.remoteFlattrsThisPeriod} />
        </dd>
        <dt>All time</dt>
        <dd data-testid="flattrs-all-time">
          {plural(thing.flattrsAllTime, "flattr")}
          <FromOtherServers n={thing.remoteFlattrsAllTime} />
        </dd>
      </dl>
      {thing.description && <p class="bio">{thing.description}</p>}
      <p data-testid="embed-link">
        <a href={`${thingPath(thing.id)}/embed`}>Button for a website</a>: the snippets that put a
        Flattr button for this on any page.
      </p>
      <FlattrBox thing={thing} viewer={viewer} csrfToken={c.var.csrfToken} />
    </>,
  );
}

/** Loads the thing named in the path, or answers the 404 page. */
async function loadThing(c: Context<AppEnv>): Promise<ThingView | Response> {
  const { config, database, clock } = c.var.deps;
  const id = parseId(c.req.param("id"));
  const missing = () =>
    problemPage(
      c,
      404,
      "Thing not found",
      `There is no thing with the id "${c.req.param("id")}" here.`,
    );
  if (id === null) return missing();
  try {
    return await getThing(database.db, clock, config, id);
  } catch (e) {
    if (e instanceof FlattrError && e.code === "thing_not_found") return missing();
    throw e;
  }
}

export function thingRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/things/:id", async (c) => {
    const thing = await loadThing(c);
    if (thing instanceof Response) return thing;
    return thingPage(c, thing, { notice: NOTICES[c.req.query("done") ?? ""] });
  });

  for (const action of ["flattr", "unflattr"] as const) {
    app.post(`/things/:id/${action}`, formGuard(), requireLogin(), async (c) => {
      const { config, database, clock } = c.var.deps;
      const user = requireUser(c);
      const thing = await loadThing(c);
      if (thing instanceof Response) return thing;
      try {
        const act = action === "flattr" ? flattr : unflattr;
        await act(database.db, clock, config, user.id, thing.id);
      } catch (e) {
        if (!(e instanceof FlattrError)) throw e;
        // Reload: the counts may have changed since the thing was read.
        const fresh = await getThing(database.db, clock, config, thing.id);
        return thingPage(c, fresh, { status: errorStatus(e.code), error: e.message });
      }
      return c.redirect(`${thingPath(thing.id)}?done=${action}ed`, 303);
    });
  }

  return app;
}
