import { findUserByUsername, type User } from "../../accounts/users.ts";
import { USERNAME_PATTERN } from "../../accounts/validation.ts";
import type { Config } from "../../config/config.ts";
import type { Db } from "../../db/client.ts";
import { MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH } from "../../flattr/things.ts";
import { normalizeThingUrl } from "../../flattr/url.ts";
import { ClientError } from "../errors.ts";

/** The parameters of an auto-submit link (`/submit?user=&url=&title=&description=`), checked. */
export interface Submission {
  owner: User;
  /** As given (trimmed): what registerThing stores and the form sends back. */
  url: string;
  title: string;
  description: string;
}

function hasControl(text: string, allowNewlines: boolean): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const newline = c === 0x09 || c === 0x0a || c === 0x0d;
    if ((c < 0x20 && !(allowNewlines && newline)) || c === 0x7f) return true;
  }
  return false;
}

/**
 * Checks every parameter the way registerThing will (which stays the authority on POST), so a
 * broken link is reported on the GET already: 400 for a bad or missing value, 404 for an unknown
 * user. Nothing here writes.
 */
export async function parseSubmission(
  db: Db,
  config: Config,
  get: (name: string) => string | undefined,
): Promise<Submission> {
  const username = (get("user") ?? "").trim();
  if (username === "")
    throw new ClientError(400, "This flattr link is incomplete: it names no user (user=…).");
  const owner = USERNAME_PATTERN.test(username) ? await findUserByUsername(db, username) : null;
  if (!owner) throw new ClientError(404, `There is no user @${username.slice(0, 60)} here.`);

  const rawUrl = get("url") ?? "";
  const checked = normalizeThingUrl(rawUrl);
  if (!checked.ok) throw new ClientError(400, `The link's url parameter: ${checked.reason}`);
  if (new URL(checked.normalized).origin === config.origin.origin)
    throw new ClientError(
      400,
      "Pages on this instance cannot be submitted: profiles and posts here are flattrable already.",
    );

  const title = (get("title") ?? "").trim().replace(/\s+/g, " ");
  if (title === "") throw new ClientError(400, "This flattr link is incomplete: it has no title.");
  if ([...title].length > MAX_TITLE_LENGTH)
    throw new ClientError(400, `The title is longer than ${MAX_TITLE_LENGTH} characters.`);
  if (hasControl(title, false))
    throw new ClientError(400, "The title contains control characters.");

  const description = (get("description") ?? "").trim();
  if ([...description].length > MAX_DESCRIPTION_LENGTH)
    throw new ClientError(
      400,
      `The description is longer than ${MAX_DESCRIPTION_LENGTH} characters.`,
    );
  if (hasControl(description, true))
    throw new ClientError(400, "The description contains control characters.");

  return { owner, url: checked.url, title, description };
}

/** The query string of an auto-submit link for these values (what the widget links to). */
export function submitQuery(s: Submission): string {
  const q = new URLSearchParams({ user: s.owner.username, url: s.url, title: s.title });
  if (s.description) q.set("description", s.description);
  return q.toString();
}
