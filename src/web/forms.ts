import type { Context } from "hono";
import { ClientError } from "../http/errors.ts";

/** A submitted form: `get` answers "" for missing fields and ignores uploaded files. */
export interface Form {
  get(name: string): string;
}

const parsed = new WeakMap<Request, Promise<Form>>();

/**
 * Reads an urlencoded or multipart form once per request (the CSRF check and the handler both
 * need it). Anything else is the client's mistake: 415 or 400, never a 500.
 */
export function readForm(c: Context): Promise<Form> {
  let form = parsed.get(c.req.raw);
  if (!form) {
    form = parse(c);
    parsed.set(c.req.raw, form);
  }
  return form;
}

async function parse(c: Context): Promise<Form> {
  const type = c.req.header("content-type") ?? "";
  if (!/^\s*(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
    throw new ClientError(415, "Expected a form submission (application/x-www-form-urlencoded).");
  }
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch {
    throw new ClientError(400, "The form data could not be read.");
  }
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === "string") values.set(key, value);
  }
  return { get: (name) => values.get(name) ?? "" };
}

/** A local path to return to after login; anything else (other hosts, `//x`, `/\x`) is "/". */
export function safeNext(raw: string | undefined): string {
  if (!raw?.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return "/";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters
  if (/[\u0000-\u001f\u007f]/.test(raw) || raw.length > 2000) return "/";
  return raw;
}
