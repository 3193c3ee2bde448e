import { Hono } from "hono";
import { unwrap } from "../../errors.ts";
import { currentPeriod } from "../../flattr/current-period.ts";
import { findProfileThingId } from "../../flattr/things.ts";
import { flattrProfile, profileOwner } from "../../flattr/use-cases/index.ts";
import type { AppEnv } from "../../http/env.ts";
import { flattrPath, paymentLinkPath, profileUrl } from "../../http/urls.ts";
import { requireUser } from "../session.ts";
import { loginRedirect } from "./common.ts";
import { confirmPage } from "./confirm-view.tsx";
import { confirmGuard } from "./guard.ts";
import { visitorMoney } from "./visitor.ts";

/**
 * `/users/:username/flattr`, the FEP-0ea0 payment link every actor carries: flattrs the user's
 * profile (src/flattr/use-cases/flattr-profile.ts). Once the profile has been flattred it is a
 * thing and this forwards to that thing's confirmation; before, it confirms here and the POST
 * creates the profile thing with the flattr.
 */
export function profileFlattrRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/users/:username/flattr", async (c) => {
    const { config, database, clock } = c.var.deps;
    const owner = unwrap(await profileOwner(database.db, c.req.param("username")));
    const thingId = await findProfileThingId(database.db, owner.id);
    if (thingId !== null) return c.redirect(flattrPath(thingId), 303);
    if (!c.var.user) return loginRedirect(c);
    const own = owner.id === c.var.user.id;
    const money = await visitorMoney(
      database.db,
      config,
      c.var.user.id,
      currentPeriod(clock, config),
    );
    return confirmPage(c, {
      target: {
        thingId: null,
        title: owner.displayName || owner.username,
        url: profileUrl(config, owner.username),
        description: "",
        owner: { username: owner.username, displayName: owner.displayName },
        flattrsThisPeriod: 0,
        flattrsAllTime: 0,
      },
      money,
      action: paymentLinkPath(owner.username),
      own,
      status: own ? 422 : 200,
    });
  });

  app.post("/users/:username/flattr", confirmGuard(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const user = requireUser(c);
    const username = c.req.param("username");
    // Refusals (unknown user, your own profile, no budget, ...) answer the error page.
    const { thingId } = unwrap(await flattrProfile(database.db, clock, config, user.id, username));
    return c.redirect(`${flattrPath(thingId)}?done`, 303);
  });

  return app;
}
