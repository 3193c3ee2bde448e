import type { Federation, InboxContext } from "@fedify/fedify";
import { type Add, Application } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { actorUrl, claimAnnouncementUrl } from "../config/urls.ts";
import type { Deps } from "../deps.ts";
import { hostOf } from "../peers/host.ts";
import { receiveClaim, takeClaimAnnouncements } from "../settlement/claims/remote.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import { type FederationData, federationContext } from "./federation.ts";
import { fedifyLookup } from "./lookup.ts";
import { withOutbox } from "./outbox.ts";
import { schemeFor } from "./peer-info.ts";
import { buildClaimAdd, readClaimAdd } from "./vocab/claim-add.ts";

/*
 * Claims across instances (docs/PROTOCOL.md, "Claims"): a claim won here is announced by our
 * instance actor to every peer (claimAnnouncementTargets), queued in the transaction that marks
 * it announced; an announcement from a peer's instance actor is handed to the domain, which reads
 * the proof itself (src/settlement/claims/remote.ts).
 */

const logger = getLogger(["fediflattr", "federation", "claims"]);

/**
 * Queues the announcements of won claims to the peers not told yet (also peers met or admitted
 * after the claim). Returns how many deliveries were queued.
 */
export async function announceClaims(
  federation: Federation<FederationData>,
  deps: Deps,
): Promise<number> {
  const ctx = federationContext(federation, deps);
  const scheme = schemeFor(deps);
  return withOutbox(ctx, async (tx) => {
    const due = await takeClaimAnnouncements(tx, deps.clock.now());
    for (const claim of due) {
      const peerActor = new URL(`${scheme}://${claim.host}/actor`);
      const activity = buildClaimAdd({
        id: new URL(`${claimAnnouncementUrl(deps.config, claim.id)}#${claim.host}`),
        actor: ctx.getActorUri(INSTANCE_ACTOR),
        to: peerActor,
        account: new URL(claim.accountUri),
        claimant: new URL(actorUrl(deps.config, claim.username)),
        code: claim.code,
        proof: new URL(claim.proofUrl),
      });
      await ctx.sendActivity(
        { identifier: INSTANCE_ACTOR },
        { id: peerActor, inboxId: new URL(`${scheme}://${claim.host}/inbox`) },
        activity,
      );
      logger.info("Announced claim {id} to {host}", { id: claim.id, host: claim.host });
    }
    return due.length;
  });
}

/**
 * Inbox: an `Add` carrying a claim code, from a peer's instance actor (the inbox guard checked
 * the signature and that id, actor and signer share one origin). Anything else is ignored.
 */
export async function onAddClaim(ctx: InboxContext<FederationData>, add: Add): Promise<boolean> {
  const data = readClaimAdd(add);
  if (data === null) return false;
  const host = hostOf(data.actor);
  const documentLoader = await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
  const actor = await add.getActor({ documentLoader, contextLoader: ctx.contextLoader });
  if (!(actor instanceof Application) || actor.id?.href !== data.actor || host === null) {
    logger.info("Ignored claim announcement {id}: not from an instance actor", { id: data.id });
    return true;
  }
  const receipt = await receiveClaim(ctx.data, fedifyLookup(ctx.federation, ctx.data), {
    id: data.id,
    claimingHost: host,
    accountUri: data.account,
    claimantUri: data.claimant,
    code: data.code,
    proofUrl: data.proof,
  });
  logger.info("Claim announcement {id} from {host}: {outcome}", {
    id: data.id,
    host,
    outcome: receipt.outcome,
    reason: receipt.outcome === "refused" ? receipt.reason : undefined,
  });
  return true;
}
