import { AccountError } from "./errors.ts";

/**
 * Usernames: 1–30 of `[A-Za-z0-9_]`, exactly what Mastodon accepts for *local* accounts
 * (`/\A[a-z0-9_]+\z/i`, max 30). Mastodon accepts inner dots and dashes only for remote accounts,
 * and other software is stricter still, so this is the set every fediverse server and client can
 * put in a mention, a WebFinger `acct:` URI and a URL path without escaping. Case is kept for
 * display; uniqueness is case-insensitive (`lower(username)` index), as in Mastodon.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9_]{1,30}$/;
export const USERNAME_MAX = 30;

/**
 * Names a stranger must not take through the sign-up form: they impersonate the operator or
 * look like instance endpoints. The operator may still create them with the CLI.
 */
const RESERVED_USERNAMES = new Set([
  "admin",
  "administrator",
  "root",
  "support",
  "help",
  "webmaster",
  "hostmaster",
  "postmaster",
  "abuse",
  "security",
  "mod",
  "moderator",
  "staff",
  "system",
  "instance",
  "actor",
  "fediflattr",
  "flattr",
]);

// C0/C1 controls except tab and newline (which a bio may contain).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** Any control character: PostgreSQL refuses NUL in text, and none belongs in a name. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const EMAIL_MAX = 254;
export const PASSWORD_MIN = 8;
const PASSWORD_MAX = 1000;
/** Mastodon's limits, so profiles federate without truncation. */
export const DISPLAY_NAME_MAX = 30;
export const BIO_MAX = 500;

export function validateUsername(raw: string, options: { allowReserved?: boolean } = {}): string {
  const username = raw.trim();
  if (username === "") throw new AccountError("invalid", "Choose a username.", "username");
  if (!USERNAME_PATTERN.test(username)) {
    throw new AccountError(
      "invalid",
      `A username is 1–${USERNAME_MAX} letters (a–z, A–Z), digits or underscores.`,
      "username",
    );
  }
  if (!options.allowReserved && RESERVED_USERNAMES.has(username.toLowerCase())) {
    throw new AccountError("taken", `The username "${username}" is reserved.`, "username");
  }
  return username;
}

export function validateEmail(raw: string): string {
  const email = raw.trim();
  // Deliberately loose: the only real check of an address is mail reaching it.
  if (
    email.length > EMAIL_MAX ||
    CONTROL.test(email) ||
    !/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>.]+$/.test(email)
  ) {
    throw new AccountError("invalid", "Enter a valid e-mail address.", "email");
  }
  return email;
}

/** Passwords are NFKC-normalized (NIST SP 800-63B) so the same password typed anywhere matches. */
export function validatePassword(raw: string): string {
  const password = raw.normalize("NFKC");
  const length = [...password].length;
  if (length < PASSWORD_MIN) {
    throw new AccountError(
      "invalid",
      `A password needs at least ${PASSWORD_MIN} characters.`,
      "password",
    );
  }
  if (length > PASSWORD_MAX) {
    throw new AccountError(
      "invalid",
      `A password may have at most ${PASSWORD_MAX} characters.`,
      "password",
    );
  }
  return password;
}

const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" });

/** Length as a person counts it (grapheme clusters), as Mastodon does. */
function visibleLength(s: string): number {
  let n = 0;
  for (const _ of segmenter.segment(s)) n++;
  return n;
}

export function validateProfile(input: { displayName: string; bio: string }): {
  displayName: string;
  bio: string;
} {
  const displayName = input.displayName.trim();
  const bio = input.bio.replace(/\r\n?/g, "\n").trim();
  if (visibleLength(displayName) > DISPLAY_NAME_MAX) {
    throw new AccountError(
      "invalid",
      `A display name may have at most ${DISPLAY_NAME_MAX} characters.`,
      "displayName",
    );
  }
  if (CONTROL.test(displayName) || displayName.includes("\n") || displayName.includes("\t")) {
    throw new AccountError(
      "invalid",
      "A display name cannot contain line breaks or control characters.",
      "displayName",
    );
  }
  if (visibleLength(bio) > BIO_MAX) {
    throw new AccountError("invalid", `A bio may have at most ${BIO_MAX} characters.`, "bio");
  }
  if (CONTROL.test(bio)) {
    throw new AccountError("invalid", "A bio cannot contain control characters.", "bio");
  }
  return { displayName, bio };
}
