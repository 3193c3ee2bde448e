import { Hono } from "hono";
import { raw } from "hono/html";
import type { Config } from "../../config/config.ts";
import type { ThingView } from "../../flattr/things.ts";
import type { AppEnv } from "../../http/env.ts";
import { badgeUrl, flattrUrl, submitUrl, thingPath, widgetUrl } from "../../http/urls.ts";
import { renderPage } from "../layout.tsx";
import { loadThing } from "./common.ts";
import { WIDGET_SIZE } from "./widget.tsx";

const CSS = `
.snippet { margin: 1.25rem 0; }
.snippet h2 { font-size: 1.1rem; margin: 0 0 0.3rem; }
.snippet pre { background: color-mix(in srgb, var(--fg) 6%, transparent); border: 1px solid var(--line);
  border-radius: 6px; padding: 0.6rem 0.8rem; overflow-x: auto; white-space: pre-wrap;
  overflow-wrap: anywhere; user-select: all; }
.preview { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; margin: 0.4rem 0; }
`;

/** `<link rel="payment">` for a thing's page head (also what a website puts in its own head). */
function PaymentLink(props: { href: string; title: string }) {
  return <link rel="payment" href={props.href} title={props.title} type="text/html" />;
}

function Snippet(props: { id: string; title: string; codes: string[]; children?: unknown }) {
  return (
    <section class="snippet" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
      {props.codes.map((code, i) => (
        <pre>
          <code data-testid={`snippet-${props.id}-${i}`}>{code}</code>
        </pre>
      ))}
    </section>
  );
}

function iframeHtml(src: string, size: { width: number; height: number }): string {
  return (
    `<iframe src="${src}" width="${size.width}" height="${size.height}" title="Flattr button" ` +
    `style="border:0;overflow:hidden;vertical-align:middle" scrolling="no" loading="lazy" ` +
    `sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>`
  );
}

const attr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

function snippets(config: Config, thing: ThingView) {
  const origin = config.origin.origin;
  const confirm = flattrUrl(config, thing.id);
  const linkText = `Flattr “${thing.title}”`.replace(/[<&]/g, (ch) =>
    ch === "<" ? "&lt;" : "&amp;",
  );
  return {
    script:
      `<script async src="${origin}/button.js"></script>\n` +
      `<a class="fediflattr-button" href="${confirm}">${linkText}</a>`,
    compact: `<a class="fediflattr-button" data-compact href="${confirm}">${linkText}</a>`,
    iframe: iframeHtml(widgetUrl(config, thing.id), WIDGET_SIZE.normal),
    iframeCompact: iframeHtml(widgetUrl(config, thing.id, true), WIDGET_SIZE.compact),
    badge:
      `<a href="${confirm}"><img src="${badgeUrl(config, thing.id)}" ` +
      `alt="${attr(`Flattr “${thing.title}”`)}"></a>`,
    badgePlain:
      `<a href="${confirm}"><img src="${badgeUrl(config, thing.id, true)}" ` +
      `alt="${attr(`Flattr “${thing.title}”`)}"></a>`,
    link: `<a href="${confirm}">${linkText}</a>`,
    head: `<link rel="payment" href="${confirm}" title="${attr(`Flattr “${thing.title}”`)}">`,
  };
}

/**
 * `/things/:id/embed`: the HTML a website owner copies, with live previews. Public: all of it is
 * public anyway, and a fan may want to put the button on their own page.
 */
export function embedRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/things/:id/embed", async (c) => {
    const { config } = c.var.deps;
    const thing = await loadThing(c);
    const s = snippets(config, thing);
    const confirm = flattrUrl(config, thing.id);
    const own = c.var.user?.id === thing.owner.id;
    const submitExample = submitUrl(config, {
      username: thing.owner.username,
      url: "https://example.com/my-post",
      title: "My post",
    });
    return renderPage(
      c,
      {
        title: `Button for “${thing.title}”`,
        head: (
          <>
            <style>{raw(CSS)}</style>
            <PaymentLink href={confirm} title={`Flattr “${thing.title}”`} />
          </>
        ),
      },
      <>
        <p>
          Put one of these on your website. Every one of them leads to{" "}
          <a href={confirm}>the confirmation page</a> here: a click on your site never moves money
          by itself, the visitor confirms on {config.origin.host}.{" "}
          <a href={thingPath(thing.id)}>Back to the thing</a>
        </p>
        <Snippet id="script" title="Button with counter (script)" codes={[s.script, s.compact]}>
          <p class="muted">
            Include the script once per page; it turns every such link into a button (and leaves it
            a plain link where scripts do not run). Add <code>data-compact</code> to a link for the
            small style.
          </p>
        </Snippet>
        <Snippet
          id="iframe"
          title="Button with counter (iframe, no script)"
          codes={[s.iframe, s.iframeCompact]}
        >
          <div class="preview">
            {raw(s.iframe)}
            {raw(s.iframeCompact)}
          </div>
        </Snippet>
        <Snippet
          id="badge"
          title="Badge (image; READMEs, feeds, e-mail)"
          codes={[s.badge, s.badgePlain]}
        >
          <div class="preview">
            {raw(s.badge)}
            {raw(s.badgePlain)}
          </div>
        </Snippet>
        <Snippet id="link" title="Plain link (works everywhere)" codes={[s.link]} />
        <Snippet id="head" title="For your page's <head> and feeds" codes={[s.head]} />
        {own && (
          <Snippet
            id="submit"
            title="Auto-submit links (for all your pages)"
            codes={[submitExample]}
          >
            <p class="muted">
              Link to this with your page's URL and title (URL-encoded) from any page: the first
              confirmed flattr registers the page as your thing. Use it as the href of a
              fediflattr-button link to get a counter.
            </p>
          </Snippet>
        )}
      </>,
    );
  });
  return app;
}
