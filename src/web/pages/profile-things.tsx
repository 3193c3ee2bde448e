import type { Config } from "../../config/config.ts";
import type { OwnedThing } from "../../flattr/owner-things.ts";
import { paymentLinkUrl, thingPath, userWidgetUrl } from "../../http/urls.ts";
import { WIDGET_SIZE } from "../button/widget.tsx";

/*
 * The profile's money side: what the person has registered to be flattred, and the button that
 * flattrs the person themselves, with the HTML to put it on a website.
 */

const plural = (n: number) => (n === 1 ? "1 flattr" : `${n} flattrs`);

/** Their things (registered pages; posts are listed under Posts), newest first. */
export function ProfileThings(props: { things: OwnedThing[]; own: boolean }) {
  const pages = props.things.filter((t) => t.kind === "page");
  return (
    <section data-testid="profile-things">
      <h2>Things</h2>
      {pages.length === 0 ? (
        <p class="muted">
          No things registered yet.
          {props.own && (
            <>
              {" "}
              <a href="/things/new">Register your website or a page</a>.
            </>
          )}
        </p>
      ) : (
        <ul data-testid="profile-things-list">
          {pages.map((t) => (
            <li data-thing-id={t.id}>
              <a href={thingPath(t.id)}>
                <bdi>{t.title}</bdi>
              </a>{" "}
              <span class="muted">{plural(t.flattrsThisPeriod)} this month</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The profile's own button: a live preview and the two lines that embed it. */
export function ProfileButton(props: { config: Config; username: string }) {
  const src = userWidgetUrl(props.config, props.username);
  const { width, height } = WIDGET_SIZE.normal;
  const iframe = `<iframe src="${src}" width="${width}" height="${height}" style="border:0" title="Flattr @${props.username}" loading="lazy"></iframe>`;
  const link = `<a href="${paymentLinkUrl(props.config, props.username)}">Flattr @${props.username}</a>`;
  return (
    <section data-testid="profile-button">
      <h2>Profile button</h2>
      <p class="muted">
        Put this on a website to be flattred for everything you do; a click leads to a confirmation
        here.
      </p>
      <iframe
        src={src}
        width={String(width)}
        height={String(height)}
        style="border:0"
        title={`Flattr @${props.username}`}
        loading="lazy"
      />
      <pre class="snippet-code">
        <code data-testid="profile-button-iframe">{iframe}</code>
      </pre>
      <pre class="snippet-code">
        <code data-testid="profile-button-link">{link}</code>
      </pre>
    </section>
  );
}
