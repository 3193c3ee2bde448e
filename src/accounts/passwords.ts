import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

/**
 * scrypt from Node's crypto (no native dependency), stored in the PHC string format
 * `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` (base64, no padding), the format passlib uses:
 * each hash names its own parameters, so they can be raised later without breaking old hashes
 * (see `needsRehash`).
 */
export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
}

/** N = 2^15, r = 8, p = 1: 32 MiB and ~50–100 ms per hash on a small server. */
const DEFAULT_SCRYPT: ScryptParams = { logN: 15, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
// Guards against a corrupt or hostile stored string making us allocate gigabytes.
const LIMITS = { logN: [10, 20], r: [1, 32], p: [1, 16] } as const;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    maxmem: 256 * N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

const b64 = (buf: Buffer) => buf.toString("base64").replace(/=+$/, "");

export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, params);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

interface Parsed {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | null {
  const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
  if (!m) return null;
  const params = { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  for (const k of ["logN", "r", "p"] as const) {
    const [min, max] = LIMITS[k];
    if (params[k] < min || params[k] > max) return null;
  }
  const salt = Buffer.from(m[4]!, "base64");
  const key = Buffer.from(m[5]!, "base64");
  if (salt.length < 8 || key.length < 16) return null;
  return { params, salt, key };
}

/** Constant-time comparison; false (never a throw) for a wrong password or a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when the hash uses weaker parameters than the current default. */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  return (
    parsed.params.logN < params.logN || parsed.params.r < params.r || parsed.params.p < params.p
  );
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as a real verification, for logins naming an unknown user: the response
 * time must not tell which usernames exist.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  dummy ??= hashPassword("dummy password for timing");
  await verifyPassword(password, await dummy);
  return false;
}
