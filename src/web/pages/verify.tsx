import { Hono } from "hono";
import { FlattrError } from "../../flattr/errors.ts";
import { getThing } from "../../flattr/things.ts";
import { verifyThing } from "../../flattr/verification.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { ClientError } from "../../http/errors.ts";
import { formGuard } from "../csrf.ts";
import { parseId } from "../money-ui.tsx";
import { requireLogin, requireUser } from "../session.ts";
import { thingPage } from "./thing.tsx";

/** POST /things/:id/verify: the owner asks the instance to fetch the page and check it now. */
export function verifyRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/things/:id/verify", formGuard(), requireLogin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const id = parseId(c.req.param("id"));
    if (id === null) throw new ClientError(404, "No such thing.");
    try {
      const r = await verifyThing(
        database.db,
        clock,
        config,
        c.var.pageFetcher,
        requireUser(c).id,
        id,
      );
      const thing = await getThing(database.db, clock, config, id);
      if (!r.verified) return thingPage(c, thing, { status: 422, error: r.reason });
      const took =
        r.tookOver === 0
          ? ""
          : ` It took over ${r.tookOver} unverified claim${r.tookOver === 1 ? "" : "s"} of the same address; ${r.movedFlattrs} flattr${r.movedFlattrs === 1 ? "" : "s"} of this month moved here.`;
      return thingPage(c, thing, {
        notice: `The page links back to you: this thing is verified.${took}`,
      });
    } catch (e) {
      if (e instanceof FlattrError) throw new ClientError(errorStatus(e.code), e.message);
      throw e;
    }
  });
  return app;
}
