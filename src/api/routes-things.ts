import { Hono } from "hono";
import { tokenCredential } from "../accounts/tokens.ts";
import { PayerTokenError } from "../flattr/errors.ts";
import { flattr, unflattr } from "../flattr/flattr.ts";
import { getThing, registerThing } from "../flattr/things.ts";
import { apiUser, insufficientScopeError, invalidTokenError } from "../http/bearer.ts";
import type { AppEnv } from "../http/env.ts";
import { apiThingUrl } from "../http/urls.ts";
import { idParam, readJson, stringField, wellFormedId } from "./input.ts";
import { flattrJson, thingJson } from "./serialize.ts";

export function thingRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  /*
   * Registering a URL the caller already registered answers 200 with the existing thing (title
   * and description unchanged) instead of 409: the call is idempotent, so a client may retry it
   * safely, and the Location header points at the thing either way.
   */
  app.post("/things", async (c) => {
    const user = await apiUser(c, "write");
    const { config, database, clock } = c.var.deps;
    const body = await readJson(c);
    const input = {
      url: stringField(body, "url", true),
      title: stringField(body, "title", true),
      description: stringField(body, "description", false),
    };
    const { thing, created } = await registerThing(database.db, clock, config, user.id, input);
    const view = await getThing(database.db, clock, config, thing.id);
    c.header("Location", apiThingUrl(config, thing.id));
    return c.json({ ...thingJson(config, view), created }, created ? 201 : 200);
  });

  app.get("/things/:id", async (c) => {
    await apiUser(c, "read");
    const { config, database, clock } = c.var.deps;
    const view = await getThing(database.db, clock, config, idParam(c, "id", "thing"));
    return c.json(thingJson(config, view));
  });

  /*
   * The busiest route: with a personal access token and a well-formed id, the token is checked
   * by the same database statement that flattrs (src/flattr/flattr.ts), one round trip in all.
   * Anything else takes the ordinary way; both answer the same statuses in the same order.
   */
  app.post("/things/:id/flattr", async (c) => {
    const { config, database, clock } = c.var.deps;
    const token = c.var.bearerToken;
    const credential = token ? tokenCredential(token, clock.now()) : null;
    const thingId = credential ? wellFormedId(c.req.param("id")) : null;
    if (credential && thingId !== null) {
      try {
        return c.json(
          flattrJson(await flattr(database.db, clock, config, credential, thingId)),
          201,
        );
      } catch (e) {
        if (!(e instanceof PayerTokenError)) throw e;
        throw e.reason === "invalid_token" ? invalidTokenError() : insufficientScopeError("write");
      }
    }
    const user = await apiUser(c, "write");
    const f = await flattr(database.db, clock, config, user.id, idParam(c, "id", "thing"));
    return c.json(flattrJson(f), 201);
  });

  app.delete("/things/:id/flattr", async (c) => {
    const user = await apiUser(c, "write");
    const { config, database, clock } = c.var.deps;
    const f = await unflattr(database.db, clock, config, user.id, idParam(c, "id", "thing"));
    return c.json({ ...flattrJson(f), withdrawn: true });
  });

  return app;
}
