import { type DocumentLoader, type KeyCache, verifyProof } from "@fedify/fedify";
import { DataIntegrityProof } from "@fedify/vocab";
import { canonicalJson } from "../../ledger/index.ts";
import { instantOf } from "../vocab/time.ts";

/*
 * FEP-8b32 Object Integrity Proofs (`eddsa-jcs-2022`) on settlement messages, made over the JSON
 * we send byte for byte. Fedify's signObject signs what a vocabulary object serialises to, and
 * our messages are plain JSON with our terms; so we sign the JSON ourselves, the way Fedify's
 * createProof does (sha256 of the JCS of the proof configuration, then of the document, signed
 * with Ed25519), and verify with Fedify's verifyProof, which fetches the key and checks it.
 */

const DATA_INTEGRITY = "https://w3id.org/security/data-integrity/v1";

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** The document with a `proof` by `keyId` (an Ed25519 key of the actor in the document). */
export async function signJson(
  doc: Record<string, unknown>,
  privateKey: CryptoKey,
  keyId: URL,
  contextLoader: DocumentLoader,
  now: Date,
): Promise<Record<string, unknown>> {
  const { proof: _drop, ...body } = doc;
  const created = instantOf(new Date(Math.floor(now.getTime() / 1000) * 1000));
  const config = {
    "@context": body["@context"],
    type: "DataIntegrityProof",
    cryptosuite: "eddsa-jcs-2022",
    verificationMethod: keyId.href,
    proofPurpose: "assertionMethod",
    created: created.toString(),
  };
  const a = await sha256(canonicalJson(config));
  const b = await sha256(canonicalJson(body));
  const digest = new Uint8Array(a.length + b.length);
  digest.set(a, 0);
  digest.set(b, a.length);
  const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", privateKey, digest));
  const proof = new DataIntegrityProof({
    cryptosuite: "eddsa-jcs-2022",
    verificationMethod: keyId,
    proofPurpose: "assertionMethod",
    created,
    proofValue: signature,
  });
  const json = (await proof.toJsonLd({ format: "compact", contextLoader })) as Record<
    string,
    unknown
  >;
  delete json["@context"];
  return { ...body, proof: json };
}

/**
 * The actor whose key made the document's proof, or null when there is no valid proof (missing,
 * malformed, not verifying, key not fetchable).
 */
export async function proofSigner(
  doc: Record<string, unknown>,
  options: { documentLoader: DocumentLoader; contextLoader: DocumentLoader; keyCache?: KeyCache },
): Promise<URL | null> {
  const raw = doc.proof;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  let proof: DataIntegrityProof;
  try {
    proof = await DataIntegrityProof.fromJsonLd(
      { "@context": DATA_INTEGRITY, ...(raw as Record<string, unknown>) },
      { documentLoader: options.documentLoader, contextLoader: options.contextLoader },
    );
  } catch {
    return null;
  }
  const { proof: _drop, ...body } = doc;
  try {
    const key = await verifyProof(body, proof, options);
    return key?.controllerId ?? null;
  } catch {
    return null;
  }
}
