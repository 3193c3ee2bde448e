import { hostOf, parseHost } from "../peers/host.ts";

/*
 * What a person pastes into the search box (or a client sends to /things/resolve): a fediverse
 * handle (`@alice@example.org`, `alice@example.org`, `acct:alice@example.org`) or the address of
 * an actor or an object. Pure: no network, no database; the resolver (resolve.ts) decides what
 * the parsed input names.
 */

export const MAX_RESOLVE_INPUT_LENGTH = 2048;

export type ResolveInput =
  | { kind: "handle"; username: string; host: string }
  | { kind: "url"; url: string };

export type ParsedInput = { ok: true; input: ResolveInput } | { ok: false; reason: string };

// What a username may hold across fediverse software (Mastodon: [a-z0-9_], others add dots,
// dashes and letters of any script); nothing that makes a URL or another handle out of it.
const USERNAME = /^[\p{L}\p{N}_.~+-]{1,100}$/u;
// A host as typed in a handle: a name or an IPv6 literal, an optional port, no path or query.
const HANDLE_HOST = /^(?:[^\s/?#@\\[\]:]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/i;

const invalid = (reason: string): ParsedInput => ({ ok: false, reason });

function hasControl(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

function handle(username: string, rawHost: string): ParsedInput {
  if (!USERNAME.test(username))
    return invalid(`"${username.slice(0, 60)}" is not a user name a handle can have.`);
  if (!HANDLE_HOST.test(rawHost))
    return invalid(`"${rawHost.slice(0, 100)}" is not a server name.`);
  const host = parseHost(rawHost);
  if (host === null) return invalid(`"${rawHost.slice(0, 100)}" is not a server name.`);
  return { ok: true, input: { kind: "handle", username, host } };
}

/** Parses a handle or an http(s) address; a reason a person understands when it is neither. */
export function parseResolveInput(raw: string): ParsedInput {
  const text = raw.trim();
  if (text === "")
    return invalid(
      "Paste a fediverse handle such as @alice@example.org, or the address of a profile or a post.",
    );
  if (text.length > MAX_RESOLVE_INPUT_LENGTH)
    return invalid(`That is longer than ${MAX_RESOLVE_INPUT_LENGTH} characters.`);
  if (hasControl(text)) return invalid("That contains control characters (such as line breaks).");

  const acct = /^acct:(.*)$/i.exec(text);
  if (acct) {
    const parts = acct[1]!.replace(/^@/, "").split("@");
    if (parts.length !== 2) return invalid("An acct: handle looks like acct:alice@example.org.");
    return handle(parts[0]!, parts[1]!);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return invalid("That is not a valid address.");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:")
      return invalid("Only https:// (or http://) addresses can be looked up.");
    if (url.username || url.password)
      return invalid("The address must not contain a user name or password.");
    if (hostOf(url) === null) return invalid("The address has no server name.");
    url.hash = "";
    return { ok: true, input: { kind: "url", url: url.href } };
  }
  // @alice@example.org or alice@example.org; a single @ at the start is a local-style mention.
  const m = /^@?([^@\s]+)@([^@\s]+)$/.exec(text);
  if (m) return handle(m[1]!, m[2]!);
  if (/^@[^@\s]+$/.test(text))
    return invalid(
      `Add the server to the handle: ${text.slice(0, 60)}@example.org (the server the account is on).`,
    );
  return invalid(
    "That is neither a fediverse handle (@alice@example.org) nor an address (https://…).",
  );
}

/** What an address on this instance's own origin names, without asking the database. */
export type LocalTarget =
  | { kind: "user"; username: string }
  | { kind: "thing"; id: number }
  /** Anything else: it may be the id of a local object (a post, a page), found by its URI. */
  | { kind: "object"; uri: string };

const THING_PATH = /^\/things\/([1-9][0-9]{0,15})(?:\/flattr)?\/?$/;
const USER_PATHS = [/^\/users\/([^/]+)(?:\/flattr)?\/?$/, /^\/@([^/]+)\/?$/];

/**
 * Reads an address on our own origin: `/users/alice` (the actor), `/@alice` (the profile page),
 * `/users/alice/flattr` (the payment link), `/things/42` (a thing page or its flattr page), or
 * something else to look up by its URI. Null when the address is not on `origin`.
 */
export function localTarget(url: string, origin: URL): LocalTarget | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.origin !== origin.origin) return null;
  const thing = THING_PATH.exec(u.pathname);
  if (thing && u.search === "") {
    const id = Number(thing[1]);
    if (Number.isSafeInteger(id)) return { kind: "thing", id };
  }
  for (const pattern of USER_PATHS) {
    const m = pattern.exec(u.pathname);
    if (m && u.search === "") {
      let username: string;
      try {
        username = decodeURIComponent(m[1]!);
      } catch {
        return { kind: "object", uri: u.href };
      }
      return { kind: "user", username };
    }
  }
  return { kind: "object", uri: u.href };
}
