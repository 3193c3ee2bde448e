import { tokenizePost } from "../social/post-text.ts";

/**
 * A bio as people wrote it, with its web addresses as links. The links are safe for a text anyone
 * can write: `nofollow` (no search-engine credit for spam), `noopener noreferrer` (the opened page
 * gets no handle on this one and no referrer), `ugc` (user-generated). Everything else is text,
 * and the whole is bidi-isolated so a right-to-left override cannot run into the page around it.
 */
export function Bio(props: { text: string }) {
  return (
    <p class="bio" data-testid="bio">
      <bdi>
        {tokenizePost(props.text).map((t) =>
          t.type === "url" ? (
            <a href={t.href} rel="nofollow noopener noreferrer ugc">
              {t.text}
            </a>
          ) : (
            t.text
          ),
        )}
      </bdi>
    </p>
  );
}
