import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { unwrap } from "../../errors.ts";
import { currentPeriod } from "../../flattr/current-period.ts";
import { findThingByUrl } from "../../flattr/things.ts";
import {
  checkSubmission,
  type Submission,
  type SubmitLink,
  submitAndFlattr,
} from "../../flattr/use-cases/index.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { flattrPath } from "../../http/urls.ts";
import { readForm } from "../forms.ts";
import { requireUser } from "../session.ts";
import { loginRedirect } from "./common.ts";
import { confirmPage } from "./confirm-view.tsx";
import { confirmGuard } from "./guard.ts";
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
      verified: false, // not registered yet, so not checked either
    },
    money,
    action: "/submit",
    hidden,
    own,
    status: options.status ?? (own ? 422 : 200),
    error: options.error,
  });
}

/** The link's parameters from the query string or the confirmation form. */
function linkOf(get: (name: string) => string | undefined): SubmitLink {
  return {
    user: get("user"),
    url: get("url"),
    title: get("title"),
    description: get("description"),
  };
}

/**
 * The auto-submit link: a website names its owner, the page URL and a title, and the first
 * confirmed flattr registers the page as the owner's thing (src/flattr/use-cases/submit.ts).
 * GET checks the link and shows the confirmation (or goes to the existing thing's); only the
 * POST of that page writes. A broken link is a 400 (404 for an unknown owner) on both.
 */
export function submitRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/submit", async (c) => {
    const { config, database } = c.var.deps;
    const s = unwrap(
      await checkSubmission(
        database.db,
        config,
        linkOf((n) => c.req.query(n)),
      ),
    );
    const existing = await findThingByUrl(database.db, s.owner.id, s.url);
    if (existing) return c.redirect(flattrPath(existing.id), 303);
    if (!c.var.user) return loginRedirect(c);
    return submitConfirmation(c, s);
  });

  app.post("/submit", confirmGuard(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const user = requireUser(c);
    const form = await readForm(c);
    const s = unwrap(
      await checkSubmission(
        database.db,
        config,
        linkOf((n) => form.get(n)),
      ),
    );
    // Your own page: the confirmation says so (and has no button).
    if (s.owner.id === user.id) return submitConfirmation(c, s);
    const r = await submitAndFlattr(database.db, clock, config, user.id, s);
    if (!r.ok)
      return submitConfirmation(c, s, {
        status: errorStatus(r.error.code),
        error: r.error.message,
      });
    return c.redirect(`${flattrPath(r.value.thingId)}?done`, 303);
  });

  return app;
}
