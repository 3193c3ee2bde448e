import { createHash } from "node:crypto";
import { Hono } from "hono";
import type { AppEnv } from "../../http/env.ts";
import { ClientError } from "../../http/errors.ts";
import { loadThingById } from "./common.ts";
import { shortCount } from "./widget.tsx";

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// Verdana-ish 11px advance widths are ~6.5px for digits and ~7px for letters; rounding up keeps
// the text inside its box in every common font.
const textWidth = (s: string) => Math.ceil(s.length * 7) + 12;

/**
 * A static badge for pages that cannot run scripts or frames (READMEs, feeds, e-mails): "Flattr"
 * with the all-time count, or without it (`?plain=1`). Wrapped in a link to the thing's
 * confirmation page, it works without JavaScript.
 */
function badgeSvg(options: { title: string; count: number | null }): string {
  const label = "Flattr";
  const lw = textWidth(label);
  const value = options.count === null ? null : shortCount(options.count);
  const vw = value === null ? 0 : textWidth(value);
  const w = lw + vw;
  const desc =
    value === null
      ? `Flattr “${options.title}”`
      : `Flattr “${options.title}”: ${options.count} flattr${options.count === 1 ? "" : "s"}`;
  const valueBox = value === null ? "" : `<rect x="${lw}" width="${vw}" height="20" fill="#555"/>`;
  const valueText =
    value === null
      ? ""
      : `<text x="${lw + vw / 2}" y="14" font-weight="normal">${escapeXml(value)}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" viewBox="0 0 ${w} 20" ` +
    `role="img" aria-label="${escapeXml(desc)}"><title>${escapeXml(desc)}</title>` +
    `<clipPath id="r"><rect width="${w}" height="20" rx="3"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#2f7d32"/>${valueBox}</g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" ` +
    `font-size="11" font-weight="bold"><text x="${lw / 2}" y="14">${label}</text>${valueText}</g>` +
    "</svg>"
  );
}

export function badgeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/badge/:file", async (c) => {
    const m = /^([0-9]+)\.svg$/.exec(c.req.param("file"));
    if (!m) throw new ClientError(404, "Badges are at /badge/<thing id>.svg.");
    const thing = await loadThingById(c, m[1]);
    const plain = c.req.query("plain") !== undefined;
    const svg = badgeSvg({ title: thing.title, count: plain ? null : thing.flattrsAllTime });
    // The count changes with every flattr: a short max-age, then a cheap revalidation by ETag
    // (image proxies such as GitHub's camo honour both). The plain badge changes only with the title.
    const etag = `"${createHash("sha256").update(svg).digest("base64url").slice(0, 22)}"`;
    c.header("Cache-Control", `public, max-age=${plain ? 3600 : 60}`);
    c.header("ETag", etag);
    c.header("Cross-Origin-Resource-Policy", "cross-origin");
    c.header("Access-Control-Allow-Origin", "*");
    const seen = c.req.header("if-none-match")?.split(/\s*,\s*/);
    if (seen?.includes(etag) || seen?.includes(`W/${etag}`)) return c.body(null, 304);
    c.header("Content-Type", "image/svg+xml; charset=utf-8");
    return c.body(svg);
  });
  return app;
}
