import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { currentPeriod } from "../../flattr/current-period.ts";
import { FlattrError } from "../../flattr/errors.ts";
import { flattr } from "../../flattr/flattr.ts";
import { findThingByUrl, registerThing } from "../../flattr/things.ts";
import type { AppEnv } from "../env.ts";
import { readForm } from "../forms.ts";
import { requireUser } from "../session.ts";
import { loginRedirect } from "./common.ts";
import { confirmPage } from "./confirm-view.tsx";
import { confirmGuard } from "./guard.ts";
import { parseSubmission, type Submission } from "./submission.ts";
import { visitorMoney } from "./visitor.ts";

async function submitConfirmation(
  c: Context<AppEnv>,
  s: Submission,
  options: { status?: ContentfulStatusCode; error?: string } = {},
): Promise<Response> {
  const { config, database, clock } = c.var.deps;
  const user = requireUser(c);
  const own = s.owner.id === user.id;
  const money = await visitorMoney(database.db, config, user.id, currentPeriod(clock, config));
  const hidden: Record<string, string> = { user: s.owner.username, url: s.url, title: s.title };
  if (s.description) hidden.description = s.description;
  return confirmPage(c, {
    target: {
      thingId: null,
      title: s.title,
      url: s.url,
      description: s.description,
      owner: { username: s.owner.username, displayName: s.owner.displayName },
      flattrsThisPeriod: 0,
      flattrsAllTime: 0,
    },
    money,
    action: "/submit",
    hidden,
    own,
    status: options.status ?? (own ? 422 : 200),
    error: options.error,
  });
}

/**
 * The auto-submit link: a website names its owner, the page URL and a title, and the first
 * confirmed flattr registers the page as the owner's thing. GET validates and shows the
 * confirmation (or goes to the existing thing's); only the POST of that page writes, and it
 * registers and flattrs in one transaction, so a refused flattr leaves no thing behind.
 */
export function submitRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/submit", async (c) => {
    const { config, database } = c.var.deps;
    const s = await parseSubmission(database.db, config, (name) => c.req.query(name));
    const existing = await findThingByUrl(database.db, s.owner.id, s.url);
    if (existing) return c.redirect(`/things/${existing.id}/flattr`, 303);
    if (!c.var.user) return loginRedirect(c);
    return submitConfirmation(c, s);
  });

  app.post("/submit", confirmGuard(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const user = requireUser(c);
    const form = await readForm(c);
    const s = await parseSubmission(database.db, config, (name) => form.get(name));
    if (s.owner.id === user.id) return submitConfirmation(c, s);
    let thingId: number;
    try {
      thingId = await database.db.transaction(async (tx) => {
        const { thing } = await registerThing(tx, clock, config, s.owner.id, s);
        await flattr(tx, clock, config, user.id, thing.id);
        return thing.id;
      });
    } catch (e) {
      if (!(e instanceof FlattrError)) throw e;
      if (e.code === "already_flattred") {
        const existing = await findThingByUrl(database.db, s.owner.id, s.url);
        if (existing) return c.redirect(`/things/${existing.id}/flattr`, 303);
      }
      return submitConfirmation(c, s, { status: e.status, error: e.message });
    }
    return c.redirect(`/things/${thingId}/flattr`, 303);
  });

  return app;
}
