import { type Context, Hono } from "hono";
import { findUserByUsername, type User } from "../../accounts/users.ts";
import { USERNAME_PATTERN } from "../../accounts/validation.ts";
import { currentPeriod } from "../../flattr/current-period.ts";
import { FlattrError } from "../../flattr/errors.ts";
import { flattr } from "../../flattr/flattr.ts";
import { profileThing } from "../../flattr/things.ts";
import type { AppEnv } from "../env.ts";
import { ClientError } from "../errors.ts";
import { requireUser } from "../session.ts";
import { findProfileThingId, loginRedirect, profilePageUrl } from "./common.ts";
import { confirmPage } from "./confirm-view.tsx";
import { confirmGuard } from "./guard.ts";
import { visitorMoney } from "./visitor.ts";

async function loadUser(c: Context<AppEnv>): Promise<User> {
  const name = c.req.param("username") ?? "";
  const user = USERNAME_PATTERN.test(name)
    ? await findUserByUsername(c.var.deps.database.db, name)
    : null;
  if (!user) throw new ClientError(404, `There is no user @${name.slice(0, 60)} here.`);
  return user;
}

/**
 * `/users/:username/flattr`, the FEP-0ea0 payment link every actor carries: flattrs the user's
 * profile. Once the profile has been flattred it is a thing and this forwards to that thing's
 * confirmation; before, it confirms here and the POST creates the profile thing with the flattr.
 */
export function profileFlattrRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/users/:username/flattr", async (c) => {
    const { config, database, clock } = c.var.deps;
    const owner = await loadUser(c);
    const thingId = await findProfileThingId(database.db, owner.id);
    if (thingId !== null) return c.redirect(`/things/${thingId}/flattr`, 303);
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
        url: profilePageUrl(config, owner.username),
        description: "",
        owner: { username: owner.username, displayName: owner.displayName },
        flattrsThisPeriod: 0,
        flattrsAllTime: 0,
      },
      money,
      action: `/users/${owner.username}/flattr`,
      own,
      status: own ? 422 : 200,
    });
  });

  app.post("/users/:username/flattr", confirmGuard(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const user = requireUser(c);
    const owner = await loadUser(c);
    if (owner.id === user.id)
      throw new ClientError(422, "This is your own profile: you cannot flattr yourself.");
    try {
      const thingId = await database.db.transaction(async (tx) => {
        const thing = await profileThing(tx, clock, config, owner.id);
        await flattr(tx, clock, config, user.id, thing.id);
        return thing.id;
      });
      return c.redirect(`/things/${thingId}/flattr`, 303);
    } catch (e) {
      if (!(e instanceof FlattrError)) throw e;
      const thingId = await findProfileThingId(database.db, owner.id);
      if (e.code === "already_flattred" && thingId !== null)
        return c.redirect(`/things/${thingId}/flattr`, 303);
      throw new ClientError(e.status, e.message);
    }
  });

  return app;
}
