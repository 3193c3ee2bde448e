import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { userPreferences, users } from "../db/schema/index.ts";
import { AccountError } from "./errors.ts";
import { type User, updateProfile } from "./users.ts";

/*
 * A user's preferences for posting and reading in apps (Mastodon's `/api/v1/preferences` and the
 * `source` of verify_credentials), edited on the settings page and by update_credentials. There
 * is no default visibility to choose: posts here are public only (docs/adr/0020), so public is
 * the one answer and another is refused rather than stored and ignored.
 */

export const EXPAND_MEDIA = ["default", "show_all", "hide_all"] as const;
export type ExpandMedia = (typeof EXPAND_MEDIA)[number];

/** The one visibility posts here have. */
export const POST_VISIBILITY = "public";

export interface Preferences {
  /** Mark new posts' media sensitive. */
  sensitive: boolean;
  /** ISO 639 code apps preselect for new posts, or null (the app decides). */
  language: string | null;
  expandMedia: ExpandMedia;
  expandSpoilers: boolean;
}

export const DEFAULT_PREFERENCES: Preferences = {
  sensitive: false,
  language: null,
  expandMedia: "default",
  expandSpoilers: false,
};

/** A change of preferences: what is absent stays; `visibility` may only say public. */
export interface PreferenceChanges {
  visibility?: string;
  sensitive?: boolean;
  /** A language code, or "" / null for none. */
  language?: string | null;
  expandMedia?: string;
  expandSpoilers?: boolean;
}

const languageNames = new Intl.DisplayNames(["en"], { type: "language", fallback: "none" });

/** The English name of an ISO 639 code (2 or 3 lowercase letters), or null if it is none. */
export function languageName(code: string): string | null {
  if (!/^[a-z]{2,3}$/.test(code)) return null;
  return languageNames.of(code) ?? null;
}

/** The two-letter languages (ISO 639-1) people choose from, by name. */
export const LANGUAGES: readonly { code: string; name: string }[] = (() => {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const out: { code: string; name: string }[] = [];
  for (const a of letters)
    for (const b of letters) {
      const name = languageName(a + b);
      if (name) out.push({ code: a + b, name });
    }
  return out.sort((x, y) => x.name.localeCompare(y.name, "en"));
})();

export async function readPreferences(db: Db, userId: number): Promise<Preferences> {
  const [row] = await db.select().from(userPreferences).where(eq(userPreferences.userId, userId));
  if (!row) return DEFAULT_PREFERENCES;
  return {
    sensitive: row.defaultSensitive,
    language: row.defaultLanguage,
    expandMedia: (EXPAND_MEDIA as readonly string[]).includes(row.expandMedia)
      ? (row.expandMedia as ExpandMedia)
      : "default",
    expandSpoilers: row.expandSpoilers,
  };
}

/** The preferences after `changes`, or the refusal of the first field that is not valid. */
function validate(current: Preferences, changes: PreferenceChanges): Preferences {
  if (changes.visibility !== undefined && changes.visibility !== POST_VISIBILITY)
    throw new AccountError(
      "invalid",
      "Posts here are public only, so public is the only default visibility.",
      "visibility",
    );
  let language = current.language;
  if (changes.language !== undefined) {
    const code = (changes.language ?? "").trim().toLowerCase();
    if (code !== "" && languageName(code) === null)
      throw new AccountError(
        "invalid",
        `"${code.slice(0, 20)}" is not a language code (ISO 639, such as "en" or "de").`,
        "language",
      );
    language = code === "" ? null : code;
  }
  let expandMedia = current.expandMedia;
  if (changes.expandMedia !== undefined) {
    if (!(EXPAND_MEDIA as readonly string[]).includes(changes.expandMedia))
      throw new AccountError(
        "invalid",
        "Media must be shown by default, all shown or all hidden.",
        "expandMedia",
      );
    expandMedia = changes.expandMedia as ExpandMedia;
  }
  return {
    sensitive: changes.sensitive ?? current.sensitive,
    language,
    expandMedia,
    expandSpoilers: changes.expandSpoilers ?? current.expandSpoilers,
  };
}

/**
 * Applies `changes` to the user's preferences and answers them; a field that is not valid
 * refuses the whole change (an AccountError "invalid" naming it) and stores nothing.
 */
export async function updatePreferences(
  db: Db,
  userId: number,
  changes: PreferenceChanges,
): Promise<Preferences> {
  return db.transaction(async (tx) => {
    // Lock the row (or its absence, through the user's) so two changes of different fields
    // both land instead of one overwriting the other with what it read.
    const [user] = await tx
      .select({ id: users.id })
      .from(users)
      .where(eq(users.id, userId))
      .for("update");
    if (!user) throw new AccountError("not_found", "No such user.");
    const next = validate(await readPreferences(tx, userId), changes);
    const values = {
      defaultSensitive: next.sensitive,
      defaultLanguage: next.language,
      expandMedia: next.expandMedia,
      expandSpoilers: next.expandSpoilers,
    };
    await tx
      .insert(userPreferences)
      .values({ userId, ...values })
      .onConflictDoUpdate({ target: userPreferences.userId, set: values });
    return next;
  });
}

/**
 * The profile and the preferences changed together (Mastodon's update_credentials carries both):
 * one transaction, so a refusal of either leaves both as they were.
 */
export async function updateProfileAndPreferences(
  db: Db,
  userId: number,
  profile: { displayName: string; bio: string },
  changes: PreferenceChanges,
): Promise<{ user: User; preferences: Preferences }> {
  return db.transaction(async (tx) => {
    const preferences = await updatePreferences(tx, userId, changes);
    const user = await updateProfile(tx, userId, profile);
    return { user, preferences };
  });
}
