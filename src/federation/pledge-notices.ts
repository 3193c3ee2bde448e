import type { Federation } from "@fedify/fedify";
import { Create, Mention, Note } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { absoluteUrl } from "../config/urls.ts";
import type { Deps } from "../deps.ts";
import { takePledgeNotices } from "../settlement/claims/notices.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import { type FederationData, federationContext } from "./federation.ts";
import { withOutbox } from "./outbox.ts";
import { instantOf } from "./vocab/time.ts";

const logger = getLogger(["fediflattr", "federation", "pledge-notices"]);

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * PLEDGE_NOTICE: this month's direct mentions to unclaimed creators with money held, from the
 * instance actor, queued in the transaction that records them (settlement/claims/notices.ts).
 */
export async function sendPledgeNotices(
  federation: Federation<FederationData>,
  deps: Deps,
): Promise<number> {
  if (!deps.config.pledgeNotice) return 0;
  const ctx = federationContext(federation, deps);
  const claimUrl = absoluteUrl(deps.config, "/settings/claims");
  return withOutbox(ctx, async (tx) => {
    const notices = await takePledgeNotices(tx, deps.clock, deps.config, claimUrl);
    const from = ctx.getActorUri(INSTANCE_ACTOR);
    for (const n of notices) {
      const to = new URL(n.actorUri);
      const key = encodeURIComponent(n.actorUri);
      const id = new URL(absoluteUrl(deps.config, `/pledge-notices/${n.month}/${key}`));
      const mention = n.handle ? `@${n.handle}` : n.actorUri;
      const note = new Note({
        id,
        attribution: from,
        to,
        content: `<p><a href="${escapeHtml(n.actorUri)}" class="mention">${escapeHtml(mention)}</a> ${escapeHtml(n.text)}</p>`,
        tags: [new Mention({ href: to, name: mention })],
        published: instantOf(deps.clock.now()),
      });
      await ctx.sendActivity(
        { identifier: INSTANCE_ACTOR },
        { id: to, inboxId: new URL(n.inboxUrl) },
        new Create({ id: new URL(`${id.href}#create`), actor: from, to, object: note }),
      );
    }
    if (notices.length > 0) logger.info("Queued {n} pledge notices", { n: notices.length });
    return notices.length;
  });
}
