import type { Context, DocumentLoader } from "@fedify/fedify";
import { Object as APObject, isActor, Like } from "@fedify/vocab";
import { FetchError } from "@fedify/vocab-runtime";
import { getLogger } from "@logtape/logtape";
import { hostOf } from "../../peers/host.ts";
import type { FetchedLike, LikeFetcher } from "../../settlement/summaries/fetched-likes.ts";
import { LinesUnavailable } from "../../settlement/summaries/process.ts";
import { upsertRemoteActor } from "../../social/remote-actors.ts";
import { INSTANCE_ACTOR } from "../actors.ts";
import type { FederationData } from "../federation.ts";
import { remoteActorDataOf } from "../remote-actor-data.ts";
import { readFlattrExtension } from "../vocab/flattr-extension.ts";

const logger = getLogger(["fediflattr", "federation", "settlement"]);

/*
 * The LikeFetcher a summary's decision uses for Likes that never reached us
 * (src/settlement/summaries/fetched-likes.ts): the document at the Like's id and its actor,
 * fetched with the instance actor's signed document loader (a secure-mode server refuses unsigned
 * GETs). A document served from another origin than its id, or that is no Like with our
 * extension, is null; a server that does not answer (network, 5xx, 429) is LinesUnavailable, so
 * the summary is decided later rather than refused for a hiccup.
 */

const TIMEOUT_MS = 10_000;

function unavailable(error: unknown): boolean {
  if (error instanceof FetchError) {
    if (error.name === "BlockedHostError") return false;
    const status = error.response?.status;
    return status === undefined || status >= 500 || status === 429;
  }
  return !(error instanceof SyntaxError);
}

async function load(loader: DocumentLoader, url: string): Promise<Record<string, unknown> | null> {
  try {
    const doc = await loader(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (new URL(doc.documentUrl).origin !== new URL(url).origin) return null;
    const json = doc.document;
    return typeof json === "object" && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : null;
  } catch (error) {
    logger.info("Fetching {url} failed: {error}", { url, error });
    if (unavailable(error)) throw new LinesUnavailable(`Fetching ${url} failed: ${error}`);
    return null;
  }
}

export function likeFetcher(ctx: Context<FederationData>): LikeFetcher {
  const { clock } = ctx.data;
  const loader = () => ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
  return {
    async like(id: string): Promise<FetchedLike | null> {
      const json = await load(await loader(), id);
      if (json === null) return null;
      let like: Like;
      try {
        const parsed = await Like.fromJsonLd(json, { contextLoader: ctx.contextLoader });
        if (!(parsed instanceof Like)) return null;
        like = parsed;
      } catch {
        return null;
      }
      if (!like.id || !like.actorId || !like.objectId) return null;
      const reading = await readFlattrExtension(json, ctx.contextLoader);
      if (reading.kind !== "ok") return null;
      const e = reading.extension;
      return {
        id: like.id.href,
        actor: like.actorId.href,
        object: like.objectId.href,
        period: e.period,
        currency: e.currency,
        payerInstance: e.payerInstance.href,
        protocolVersion: e.protocolVersion,
      };
    },
    async payer(uri: string) {
      const documentLoader = await loader();
      const json = await load(documentLoader, uri);
      if (json === null) return null;
      let actor: APObject;
      try {
        actor = await APObject.fromJsonLd(json, {
          documentLoader,
          contextLoader: ctx.contextLoader,
        });
      } catch {
        return null;
      }
      if (!isActor(actor) || actor.id?.href !== uri || hostOf(uri) === null) return null;
      const row = await upsertRemoteActor(
        ctx.data.database.db,
        clock,
        await remoteActorDataOf(actor, { documentLoader }),
      );
      return { id: row.id, uri: row.uri, host: row.host };
    },
  };
}
