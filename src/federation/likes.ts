import type { Federation } from "@fedify/fedify";
import type { Deps } from "../deps.ts";
import { findSentFlattr } from "../flattr/sent-flattrs.ts";
import { likeUrl } from "../http/urls.ts";
import { INSTANCE_ACTOR } from "./actors.ts";
import type { FederationData } from "./federation.ts";
import { buildFlattrLike } from "./vocab/flattr-like.ts";

const PATH = /^\/flattrs\/([^/]+)$/;
const AS_JSON = "application/activity+json";

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "Content-Type": status === 200 ? AS_JSON : "application/json",
      // A withdrawn flattr turns 410: shared caches must not keep the 200 for long.
      "Cache-Control": "public, max-age=60",
      Vary: "Accept",
    },
  });
}

/**
 * A flattr's `Like` at its id, `/flattrs/<like_id>`, as JSON-LD to signed and unsigned GETs alike
 * (the same activity the relay sends, without the proof sending adds): 410 once withdrawn, 404
 * for an id that names no sent flattr. Answered before Fedify, which has no 410 for objects;
 * null lets every other request through.
 */
export async function likeDocument(
  federation: Federation<FederationData>,
  request: Request,
  deps: Deps,
): Promise<Response | null> {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const match = PATH.exec(new URL(request.url).pathname);
  if (!match) return null;
  const flattr = await findSentFlattr(deps.database.db, decodeURIComponent(match[1]!));
  if (!flattr) return answer(404, { error: "No such flattr." });
  if (flattr.withdrawnAt) return answer(410, { error: "This flattr was withdrawn." });
  const ctx = federation.createContext(new URL(deps.config.origin.href), deps);
  const like = buildFlattrLike({
    id: new URL(likeUrl(deps.config, flattr.likeId)),
    actor: ctx.getActorUri(flattr.payerUsername),
    object: new URL(flattr.objectUri),
    to: new URL(flattr.authorUri),
    published: flattr.createdAt,
    period: flattr.period,
    payerInstance: ctx.getActorUri(INSTANCE_ACTOR),
    currency: deps.config.currency,
  });
  return answer(200, await like.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }));
}
