import {
  type Context,
  detachSignature,
  doesActorOwnKey,
  type Federation,
  verifyRequestDetailed,
} from "@fedify/fedify";
import { Activity } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { FederationData } from "./federation.ts";

const logger = getLogger(["fediflattr", "federation", "inbox"]);

/** The one origin an activity's id and its single actor share, or null if they do not. */
export function activityOrigin(activity: Activity): string | null {
  const actors = activity.actorIds;
  if (!activity.id || actors.length !== 1) return null;
  return actors[0]!.origin === activity.id.origin ? activity.id.origin : null;
}

function refuse(status: 400 | 401, error: string): Response {
  return Response.json({ error }, { status });
}

/**
 * Fedify 2.3.6 trusts a key's self-declared `owner`/`controller` (GHSA-q9f8-5hc7-898f): a key
 * served by one server could speak for an actor on another. Before Fedify sees an inbox POST we
 * require, ourselves: a valid HTTP signature (also when the body carries a proof or an LD
 * signature: forwarded activities are not accepted), by a key on the actor's origin, owned by
 * the actor, for an activity whose id shares that origin. Anything we cannot check is refused.
 * Null means: hand the request on to Fedify, which verifies again in its own way.
 */
export async function guardInbox(
  federation: Federation<FederationData>,
  request: Request,
  contextData: FederationData,
): Promise<Response | null> {
  if (request.method !== "POST") return null;
  const path = new URL(request.url).pathname;
  if (!mayBeInbox(path)) return null;
  const ctx = federation.createContext(request, contextData);
  if (ctx.parseUri(new URL(path, ctx.canonicalOrigin))?.type !== "inbox") return null;

  let activity: Activity;
  try {
    const json: unknown = JSON.parse(await request.clone().text());
    activity = await Activity.fromJsonLd(detachSignature(json), loaders(ctx));
  } catch {
    return refuse(400, "The body is not an ActivityStreams activity.");
  }
  const origin = activityOrigin(activity);
  if (origin === null) {
    return refuse(401, "The activity needs an id and exactly one actor, on the same origin.");
  }
  const verification = await verifyRequestDetailed(request.clone(), loaders(ctx));
  if (!verification.verified) {
    return refuse(401, `HTTP signature not verified (${verification.reason.type}).`);
  }
  const key = verification.key;
  if (key.id?.origin !== origin || !(await doesActorOwnKey(activity, key, loaders(ctx)))) {
    logger.warning("Refused {id}: signed by {keyId}, which is not a key of {actor}", {
      id: activity.id?.href,
      keyId: key.id?.href,
      actor: activity.actorId?.href,
    });
    return refuse(401, "The request is not signed by the activity's actor.");
  }
  return null;
}

/**
 * Both inbox routes (inbox.ts: "/users/{identifier}/inbox", "/inbox") end in "inbox", so a path
 * that does not contain it, even percent-decoded, cannot be one: every other POST (the REST API,
 * forms) skips building a Fedify context. Anything that might be an inbox gets the full check.
 */
export function mayBeInbox(pathname: string): boolean {
  // Decoded until stable, so no encoding of "inbox" (single, double…) slips past.
  let path = pathname;
  for (let i = 0; i < 8; i++) {
    if (/inbox/i.test(path)) return true;
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return true;
    }
    if (decoded === path) return false;
    path = decoded;
  }
  return true;
}

function loaders(ctx: Context<FederationData>) {
  return { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader };
}
