import {
  type ExpandMedia,
  LANGUAGES,
  POST_VISIBILITY,
  type Preferences,
} from "../../accounts/preferences.ts";
import { CsrfField, FormMessage } from "../layout.tsx";

/*
 * The posting and reading preferences on the settings page: what Mastodon apps read from
 * `/api/v1/preferences` and change through update_credentials. Visibility is not a choice:
 * posts here are public only (docs/adr/0020), and the form says so instead of offering others.
 */

const MEDIA_CHOICES: readonly [ExpandMedia, string][] = [
  ["default", "Hide media marked sensitive"],
  ["show_all", "Always show media"],
  ["hide_all", "Always hide media"],
];

export function PreferencesForm(props: {
  csrfToken: string;
  preferences: Preferences;
  error?: string;
  notice?: string;
}) {
  const p = props.preferences;
  return (
    <form method="post" action="/settings/preferences" class="stack">
      <h2>Posting and reading in apps</h2>
      <FormMessage error={props.error} notice={props.notice} />
      <CsrfField token={props.csrfToken} />
      <p>
        Who can see your posts: <strong>everyone</strong> ({POST_VISIBILITY}). Posts on this server
        are public only.
      </p>
      <label>
        Language of your posts
        <select name="language">
          <option value="" selected={p.language === null}>
            Let the app decide
          </option>
          {LANGUAGES.map((l) => (
            <option value={l.code} selected={p.language === l.code}>
              {l.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input type="checkbox" name="sensitive" value="1" checked={p.sensitive} /> Mark media in my
        posts as sensitive
      </label>
      <label>
        Media in posts you read
        <select name="expandMedia">
          {MEDIA_CHOICES.map(([value, label]) => (
            <option value={value} selected={p.expandMedia === value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input type="checkbox" name="expandSpoilers" value="1" checked={p.expandSpoilers} /> Always
        open posts with content warnings
      </label>
      <button type="submit">Save preferences</button>
    </form>
  );
}
