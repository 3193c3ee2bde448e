import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { FlattrError } from "../../flattr/errors.ts";
import { unflattr } from "../../flattr/flattr.ts";
import { thingOwner } from "../../flattr/resolve-owner.ts";
import type { ThingView } from "../../flattr/things.ts";
import { ensureFlattred } from "../../flattr/use-cases/index.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { flattrPath } from "../../http/urls.ts";
import { requireUser } from "../session.ts";
import { loadThing, loginRedirect, targetOf } from "./common.ts";
import { confirmPage, flattredPage } from "./confirm-view.tsx";
import { confirmGuard } from "./guard.ts";
import { visitorMoney } from "./visitor.ts";

/**
 * Renders the state of the visitor and this thing: the result page with an undo form if they
 * flattred it this period, else the confirmation form (or why they cannot confirm).
 */
async function thingConfirmation(
  c: Context<AppEnv>,
  thing: ThingView,
  options: {
    status?: ContentfulStatusCode;
    error?: string;
    notice?: string;
    justFlattred?: boolean;
  } = {},
): Promise<Response> {
  const { config, database } = c.var.deps;
  const user = requireUser(c);
  const money = await visitorMoney(database.db, config, user.id, thing.period);
  const target = {
    ...targetOf(config, thing),
    recipient: await thingOwner(database.db, config, thing),
  };
  const mine = money.flattrs.find((f) => f.thingId === thing.id);
  if (mine)
    return flattredPage(c, {
      target,
      money,
      value: mine.value,
      count: thing.flattrsAllTime,
      justFlattred: options.justFlattred === true,
      status: options.status,
      error: options.error,
    });
  const own = thing.owner.id === user.id;
  return confirmPage(c, {
    target,
    money,
    action: `${flattrPath(thing.id)}?confirm`,
    own,
    status: options.status ?? (own ? 422 : 200),
    error: options.error,
    notice: options.notice,
  });
}

async function confirmFlattr(c: Context<AppEnv>): Promise<Response> {
  const { config, database, clock } = c.var.deps;
  const user = requireUser(c);
  const thing = await loadThing(c);
  // A second click of the same button is "done" too: the result page says so.
  const r = await ensureFlattred(database.db, clock, config, user.id, thing.id);
  if (!r.ok)
    return thingConfirmation(c, await loadThing(c), {
      status: errorStatus(r.error.code),
      error: r.error.message,
    });
  // `?done`: the result page tells the window that opened it and closes itself (ADR 0022).
  return c.redirect(`${flattrPath(thing.id)}?done`, 303);
}

/**
 * `/things/:id/flattr`: where every button, badge and link leads. GET only reads (the
 * confirmation, or the result with an undo form); the flattr happens on the POST of its form,
 * which must carry our CSRF token and come from our origin. The thing page (`/things/:id`, the
 * pages' router) posts its own flattr form here too: our form's action says `?confirm`, anything
 * else is passed on untouched (body unread) to that router's handler, registered after this one.
 */
export function confirmRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/things/:id/flattr", async (c) => {
    const thing = await loadThing(c);
    if (!c.var.user) return loginRedirect(c);
    const notice = c.req.query("undone") !== undefined ? "Your flattr was withdrawn." : undefined;
    return thingConfirmation(c, thing, { notice, justFlattred: c.req.query("done") !== undefined });
  });

  const guard = confirmGuard();
  app.post("/things/:id/flattr", async (c, next) => {
    if (c.req.query("confirm") === undefined) return next();
    let response: Response | undefined;
    await guard(c, async () => {
      response = await confirmFlattr(c);
    });
    return response;
  });

  app.post("/things/:id/flattr/undo", confirmGuard(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const user = requireUser(c);
    const thing = await loadThing(c);
    try {
      await unflattr(database.db, clock, config, user.id, thing.id);
    } catch (e) {
      if (!(e instanceof FlattrError)) throw e;
      return thingConfirmation(c, await loadThing(c), {
        status: errorStatus(e.code),
        error: e.message,
      });
    }
    return c.redirect(`${flattrPath(thing.id)}?undone`, 303);
  });

  return app;
}
