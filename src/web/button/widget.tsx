import { type Context, Hono } from "hono";
import { html, raw } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError, unwrap } from "../../errors.ts";
import { findProfileThingId, findThingByUrl, getThing } from "../../flattr/things.ts";
import { checkSubmission, profileOwner } from "../../flattr/use-cases/index.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { ClientError } from "../../http/errors.ts";
import { flattrUrl, paymentLinkUrl, submitUrl } from "../../http/urls.ts";
import { loadThing } from "./common.ts";

/** Frame sizes of the two widget styles, in CSS pixels (button.js and the embed page use them). */
export const WIDGET_SIZE = {
  normal: { width: 62, height: 68 },
  compact: { width: 112, height: 22 },
} as const;

const GREEN = "#2f7d32";

/**
 * The widget's link keeps `window.opener`: the page it opens is our confirmation, which tells its
 * opener's page (the host of this frame, `opener.parent`) that the visitor flattred, so button.js
 * refreshes the counter at once (ADR 0022). Not `noopener`, which browsers imply for _blank.
 */
const KEEP_OPENER = "opener";

const CSS = {
  normal: `html,body{margin:0;height:100%;overflow:hidden;background:transparent}
a{box-sizing:border-box;display:flex;flex-direction:column;width:60px;height:66px;margin:1px;
 border:1px solid ${GREEN};border-radius:7px;overflow:hidden;text-decoration:none;
 font:700 13px/1 system-ui,-apple-system,"Segoe UI",sans-serif}
.count{flex:1;display:flex;align-items:center;justify-content:center;font-size:20px;color:#1d1d1f;
 background:#fff}
.label{background:${GREEN};color:#fff;padding:6px 0;text-align:center;letter-spacing:.02em}
a:hover .label,a:focus-visible .label{background:#256428}
a:focus-visible{outline:2px solid #1d1d1f;outline-offset:-2px}
@media (prefers-color-scheme:dark){.count{background:#1d1d1f;color:#e8e8e6}
 a{border-color:#66bb6a}a:focus-visible{outline-color:#e8e8e6}}`,
  compact: `html,body{margin:0;height:100%;overflow:hidden;background:transparent}
a{display:inline-flex;align-items:center;height:20px;margin:1px;text-decoration:none;
 font:700 11px/1 system-ui,-apple-system,"Segoe UI",sans-serif}
.label{background:${GREEN};color:#fff;padding:4px 8px;border-radius:4px}
.count{position:relative;margin-left:7px;padding:3px 6px;border:1px solid #b9b9b2;border-radius:4px;
 background:#fff;color:#333;font-weight:600}
.count::before{content:"";position:absolute;left:-5px;top:50%;margin-top:-4px;border:4px solid transparent;
 border-left:0;border-right:5px solid #b9b9b2}
a:hover .label,a:focus-visible .label{background:#256428}
a:focus-visible{outline:2px solid #1d1d1f}
@media (prefers-color-scheme:dark){.count{background:#1d1d1f;color:#e8e8e6;border-color:#55555a}
 .count::before{border-right-color:#55555a}a:focus-visible{outline-color:#e8e8e6}}`,
};

/** 7, 999, 1.2k, 12k, 1.2M: whole numbers, no floats. */
export function shortCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 10_000) return `${Math.floor(n / 1000)}.${Math.floor((n % 1000) / 100)}k`;
  if (n < 1_000_000) return `${Math.floor(n / 1000)}k`;
  return `${Math.floor(n / 1_000_000)}.${Math.floor((n % 1_000_000) / 100_000)}M`;
}

interface WidgetProps {
  href: string;
  title: string;
  count: number;
  compact: boolean;
  /** A web page that links back to its owner (undefined: not a page). */
  verified?: boolean;
}

function widgetResponse(
  c: Context<AppEnv>,
  p: WidgetProps,
  status: ContentfulStatusCode = 200,
): Response | Promise<Response> {
  const style = p.compact ? "compact" : "normal";
  const flattrs = `${p.count} flattr${p.count === 1 ? "" : "s"}`;
  const owner =
    p.verified === undefined
      ? ""
      : p.verified
        ? ", verified: the page links back to its owner"
        : ", not verified";
  const label = `Flattr “${p.title}” (${flattrs}${owner}): opens a confirmation page in a new window`;
  // Same for every visitor (the session cookie is not sent to a third-party frame anyway), so
  // nothing here tells the embedding page who is looking.
  c.header("Cache-Control", "no-cache");
  return c.html(
    html`<!doctype html>${(
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="robots" content="noindex" />
          <title>{`Flattr: ${p.title}`}</title>
          <style>{raw(CSS[style])}</style>
        </head>
        <body>
          <a
            href={p.href}
            target="_blank"
            rel={KEEP_OPENER}
            title={label}
            aria-label={label}
            class={style}
            data-verified={p.verified === undefined ? undefined : p.verified ? "yes" : "no"}
          >
            {style === "normal" ? (
              <>
                <span class="count" data-testid="count" data-count={p.count}>
                  {shortCount(p.count)}
                </span>
                <span class="label">Flattr</span>
              </>
            ) : (
              <>
                <span class="label">Flattr</span>
                <span class="count" data-testid="count" data-count={p.count}>
                  {shortCount(p.count)}
                </span>
              </>
            )}
          </a>
        </body>
      </html>
    )}`,
    status,
  );
}

const isCompact = (c: Context<AppEnv>) => {
  const v = c.req.query("compact");
  return v !== undefined && v !== "0" && v !== "false";
};

/** A broken button shows as a greyed one whose tooltip says why, not as an error page. */
async function orBroken(c: Context<AppEnv>, render: () => Promise<Response>): Promise<Response> {
  try {
    return await render();
  } catch (e) {
    let status: ContentfulStatusCode;
    if (e instanceof ClientError) status = e.status;
    else if (e instanceof DomainError) status = errorStatus(e.code);
    else throw e;
    c.header("Cache-Control", "no-cache");
    const style = isCompact(c) ? "compact" : "normal";
    return c.html(
      html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Flattr</title><style>${raw(CSS[style])} .label{background:#8a8a8a}</style></head><body><a class="${style}" title="${e.message}" href="${new URL("/", c.var.deps.config.origin).href}" target="_blank" rel="noopener"><span class="label">Flattr</span><span class="count">?</span></a></body></html>`,
      status,
    );
  }
}

/**
 * The counter widget, the only page any site may frame (src/web/button/framing.ts): a count and
 * a link that opens the confirmation on our origin in a new top-level window. No script, no
 * form; it never moves money.
 */
export function widgetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/button/:id{[0-9]+}", (c) =>
    orBroken(c, async () => {
      const thing = await loadThing(c);
      return widgetResponse(c, {
        href: flattrUrl(c.var.deps.config, thing.id),
        title: thing.title,
        count: thing.flattrsAllTime,
        compact: isCompact(c),
        verified: thing.kind === "page" ? thing.verified : undefined,
      });
    }),
  );

  app.get("/button/submit", (c) =>
    orBroken(c, async () => {
      const { config, database, clock } = c.var.deps;
      const link = {
        user: c.req.query("user"),
        url: c.req.query("url"),
        title: c.req.query("title"),
        description: c.req.query("description"),
      };
      const s = unwrap(await checkSubmission(database.db, config, link));
      const existing = await findThingByUrl(database.db, s.owner.id, s.url);
      const view = existing ? await getThing(database.db, clock, config, existing.id) : null;
      return widgetResponse(c, {
        href: view
          ? flattrUrl(config, view.id)
          : submitUrl(config, { ...s, username: s.owner.username }),
        title: view?.title ?? s.title,
        count: view?.flattrsAllTime ?? 0,
        compact: isCompact(c),
        verified: view ? view.verified : false,
      });
    }),
  );

  app.get("/button/users/:username", (c) =>
    orBroken(c, async () => {
      const { config, database, clock } = c.var.deps;
      const owner = unwrap(await profileOwner(database.db, c.req.param("username")));
      const thingId = await findProfileThingId(database.db, owner.id);
      const view = thingId ? await getThing(database.db, clock, config, thingId) : null;
      return widgetResponse(c, {
        href: paymentLinkUrl(config, owner.username),
        title: owner.displayName || owner.username,
        count: view?.flattrsAllTime ?? 0,
        compact: isCompact(c),
      });
    }),
  );

  return app;
}
