import type { Federation } from "@fedify/fedify";
import { Like } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { FederationData } from "../federation.ts";
import { verifiedBody } from "../inbox-guard.ts";
import { storeFlattrAtOnce } from "./likes.ts";

/*
 * Inbound flattrs stored in the web request instead of the inbox queue (ADR 0016): the queue
 * cost three statements of its own per `Like` (enqueue, claim, delete) around the one that stores
 * it, and a second parse of the activity in the worker. Only `Like`s the guard verified, only
 * the usual flattr (storeFlattrAtOnce; a payer met for the first time is fetched once for all
 * its requests, ADR 0026), on a personal inbox only if its user exists (Fedify's check of a
 * recipient); everything else, and everything past MAX_IN_FLIGHT at once, goes to Fedify and
 * its queue as before.
 */

const logger = getLogger(["fediflattr", "federation", "inbox", "likes"]);

/**
 * Flattrs this process stores in requests at the same time. Storing costs a request what the
 * enqueue would (one statement), so this only bounds how many requests wait on a backed-up
 * database at once: past it, a burst is queued and the worker takes it at its own pace.
 */
export const MAX_IN_FLIGHT = 32;

/** What Fedify answers for an activity it accepted. */
const accepted = () =>
  new Response("", { status: 202, headers: { "Content-Type": "text/plain; charset=utf-8" } });

export class LikesAtOnce {
  #inFlight = 0;

  constructor(
    private readonly federation: Federation<FederationData>,
    private readonly maxInFlight = MAX_IN_FLIGHT,
  ) {}

  /** 202 when `request` (passed by the inbox guard) was a flattr now stored; null to queue it. */
  async handle(request: Request, deps: FederationData): Promise<Response | null> {
    if (this.#inFlight >= this.maxInFlight) return null;
    const activity = verifiedBody(request)?.activity;
    if (!(activity instanceof Like)) return null;
    // On our canonical origin, as the guard routes it (a proxy may have named another host).
    const ctx = this.federation.createContext(request, deps);
    const url = new URL(ctx.canonicalOrigin);
    url.pathname = new URL(request.url).pathname;
    const route = ctx.parseUri(url);
    if (route?.type !== "inbox") return null;
    this.#inFlight++;
    try {
      const stored = await storeFlattrAtOnce(ctx, activity, route.identifier);
      return stored ? accepted() : null;
    } catch (error) {
      // The statement is atomic: stored or not, the queued copy is stored once (idempotent by id).
      logger.warning("Storing {id} at once failed, queued instead: {error}", {
        id: activity.id?.href,
        error,
      });
      return null;
    } finally {
      this.#inFlight--;
    }
  }
}
