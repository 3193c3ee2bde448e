import { Like, Undo } from "@fedify/vocab";
import { FLATTR_PROTOCOL_VERSION } from "../../peers/protocol.ts";
import { FLATTR_CONTEXT, FLATTR_TERMS } from "./namespace.ts";
import { instantOf } from "./time.ts";

/*
 * A flattr on the wire: Fedify's `Like` with our payment extension (docs/PROTOCOL.md). Fedify has
 * no API for custom vocabulary, so the subclass keeps the extension in a field and adds it where
 * Fedify serialises: `toJsonLd()` (sendActivity signs and sends the compact form, so the override
 * reaches the wire) and `clone()` (Fedify's clone builds `new this.constructor({id})` and copies
 * only the fields it knows: sending clones the activity to add its proof).
 */

/** The payment extension: what the payer instance says about the flattr. */
export interface FlattrExtension {
  /** The payer's period, "YYYY-MM" in the payer instance's time zone. */
  period: string;
  /** The payer instance's actor. */
  payerInstance: URL;
  /** ISO 4217 code of the payer instance's currency. */
  currency: string;
  /** docs/PROTOCOL.md's version the `Like` follows. */
  protocolVersion: string;
}

type LikeValues = ConstructorParameters<typeof Like>[0];
type LikeOptions = ConstructorParameters<typeof Like>[1];
type JsonObject = Record<string, unknown>;

/** The extension's terms added to a compact document (its @context gets our inline object). */
function addToCompact(json: JsonObject, flattr: FlattrExtension): JsonObject {
  const context = json["@context"];
  const contexts = context === undefined ? [] : Array.isArray(context) ? context : [context];
  return {
    ...json,
    "@context": [...contexts, FLATTR_CONTEXT],
    flattrPeriod: flattr.period,
    flattrPayerInstance: flattr.payerInstance.href,
    flattrCurrency: flattr.currency,
    flattrProtocolVersion: flattr.protocolVersion,
  };
}

/** The same terms on an expanded node, by their full IRIs. */
function addToExpanded(json: unknown, flattr: FlattrExtension): unknown {
  if (!Array.isArray(json) || typeof json[0] !== "object" || json[0] === null) return json;
  const node = {
    ...(json[0] as JsonObject),
    [FLATTR_TERMS.period]: [{ "@value": flattr.period }],
    [FLATTR_TERMS.payerInstance]: [{ "@id": flattr.payerInstance.href }],
    [FLATTR_TERMS.currency]: [{ "@value": flattr.currency }],
    [FLATTR_TERMS.protocolVersion]: [{ "@value": flattr.protocolVersion }],
  };
  return [node, ...json.slice(1)];
}

/** A `Like` that carries the payment extension through cloning and serialisation. */
export class FlattrLike extends Like {
  #flattr: FlattrExtension | null;

  constructor(values: LikeValues & { flattr?: FlattrExtension }, options?: LikeOptions) {
    const { flattr, ...rest } = values;
    super(rest, options);
    this.#flattr = flattr ?? null;
  }

  get flattr(): FlattrExtension | null {
    return this.#flattr;
  }

  override clone(
    values: Parameters<Like["clone"]>[0] & { flattr?: FlattrExtension } = {},
    options?: Parameters<Like["clone"]>[1],
  ): FlattrLike {
    const { flattr, ...rest } = values;
    const copy = super.clone(rest, options) as FlattrLike;
    copy.#flattr = flattr ?? this.#flattr;
    return copy;
  }

  override async toJsonLd(options?: Parameters<Like["toJsonLd"]>[0]): Promise<unknown> {
    const json = await super.toJsonLd(options);
    if (this.#flattr === null) return json;
    if (options?.format === "expand") return addToExpanded(json, this.#flattr);
    return addToCompact(json as JsonObject, this.#flattr);
  }
}

/** Everything a flattr's `Like` says. */
export interface FlattrLikeInput {
  /** `<origin>/flattrs/<like_id>`: stable, random, dereferenceable. */
  id: URL;
  /** The payer (a local actor). */
  actor: URL;
  /** The flattred object's ActivityPub id (a note, a page, or an actor for a profile). */
  object: URL;
  /** The object's author: the only recipient. */
  to: URL;
  /** When the flattr was made. */
  published: Date;
  period: string;
  payerInstance: URL;
  currency: string;
  /** Defaults to the version this instance speaks. */
  protocolVersion?: string;
}

/**
 * The `Like` of a flattr, exactly as the relay sends it (a pure builder: docs/PROTOCOL.md's
 * example is checked against its output, `await buildFlattrLike(x).toJsonLd({format: "compact"})`).
 */
export function buildFlattrLike(input: FlattrLikeInput): FlattrLike {
  return new FlattrLike({
    id: input.id,
    actor: input.actor,
    object: input.object,
    to: input.to,
    published: instantOf(input.published),
    flattr: {
      period: input.period,
      payerInstance: input.payerInstance,
      currency: input.currency,
      protocolVersion: input.protocolVersion ?? FLATTR_PROTOCOL_VERSION,
    },
  });
}

/** The id of the `Undo` of a flattr's `Like`: one per `Like` (a flattr is withdrawn once). */
export function undoIdOf(likeId: URL): URL {
  return new URL(`${likeId.href}#undo`);
}

/**
 * Unflattr: `Undo` with the `Like` embedded (Mastodon's undo.rb reads the embedded object's type
 * and object; an `Undo` naming the `Like` by id alone undoes nothing there). The embedded `Like`
 * is a plain one, without the extension: peers find the flattr by the `Like`'s id.
 */
export function buildFlattrUndo(input: FlattrLikeInput): Undo {
  return new Undo({
    id: undoIdOf(input.id),
    actor: input.actor,
    object: new Like({
      id: input.id,
      actor: input.actor,
      object: input.object,
      to: input.to,
      published: instantOf(input.published),
    }),
    to: input.to,
  });
}
