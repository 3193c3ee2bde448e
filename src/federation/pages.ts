import type { Federation } from "@fedify/fedify";
import { Page } from "@fedify/vocab";
import { FlattrError } from "../flattr/errors.ts";
import { getThing } from "../flattr/things.ts";
import { actorUrl, flattrUrl, THING_PATH_TEMPLATE, thingUrl } from "../http/urls.ts";
import { escapeHtml } from "../social/post-text.ts";
import type { FederationData } from "./federation.ts";
import { paymentLink } from "./notes.ts";
import { dbOf } from "./outbox.ts";
import { instantOf } from "./vocab/time.ts";

/*
 * Registered web pages as ActivityPub `Page`s at their thing's own address (`/things/{id}`;
 * browsers get the thing page there), attributed to their owner and carrying the FEP-0ea0
 * payment link, so that a fediverse server can show and flattr them like any object. Profiles
 * are their actors and posts their Notes: those things answer 404 here.
 */
export function registerPages(federation: Federation<FederationData>): void {
  federation.setObjectDispatcher(Page, THING_PATH_TEMPLATE, async (ctx, { id }) => {
    if (!/^[1-9][0-9]{0,15}$/.test(id)) return null;
    const { clock, config } = ctx.data;
    let thing: Awaited<ReturnType<typeof getThing>>;
    try {
      thing = await getThing(dbOf(ctx), clock, config, Number(id));
    } catch (e) {
      if (e instanceof FlattrError) return null;
      throw e;
    }
    if (thing.kind !== "page" || thing.ownerKind !== "local" || !thing.owner.username) return null;
    return new Page({
      id: new URL(thingUrl(config, thing.id)),
      attribution: new URL(actorUrl(config, thing.owner.username)),
      name: thing.title,
      summary: thing.description ? `<p>${escapeHtml(thing.description)}</p>` : null,
      // The page itself, on its own site: what people open.
      url: new URL(thing.url),
      published: instantOf(thing.createdAt),
      attachments: [paymentLink(flattrUrl(config, thing.id))],
    });
  });
}
