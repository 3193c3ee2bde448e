import { createHash } from "node:crypto";
import { Hono } from "hono";
import type { AppEnv } from "../../http/env.ts";
import { WIDGET_SIZE } from "./widget.tsx";

/**
 * `button.js`, the script a website includes to turn
 * `<a class="fediflattr-button" href="https://<this instance>/things/42/flattr">` links into
 * counter widgets (iframes of /button/…). `data-compact` asks for the small style. Hrefs may name
 * a thing (`/things/42`, `/things/42/flattr`), an auto-submit link (`/submit?user=…`) or a
 * profile (`/users/alice/flattr`, `/@alice`). It only upgrades links to the instance it was
 * loaded from, so buttons of several instances can share a page. Without JavaScript the link
 * stays a link to the confirmation page. Plain ES2017, no dependencies, no globals.
 */
const BUTTON_JS = `/* Fediflattr button (AGPL-3.0-only): upgrades a.fediflattr-button links. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me) {
    var all = document.querySelectorAll('script[src*="/button.js"]');
    me = all[all.length - 1];
  }
  if (!me || !me.src) return;
  var origin = new URL(me.src, location.href).origin;
  var SIZE = ${JSON.stringify(WIDGET_SIZE)};
  var FRAME = "fediflattr-button-frame";

  function widgetSrc(href) {
    var u;
    try { u = new URL(href, location.href); } catch (e) { return null; }
    if (u.origin !== origin) return null;
    var m = /^\\/things\\/([1-9][0-9]*)(?:\\/flattr|\\/embed)?\\/?$/.exec(u.pathname);
    if (m) return origin + "/button/" + m[1];
    m = /^\\/(?:users\\/([A-Za-z0-9_]+)\\/flattr|@([A-Za-z0-9_]+))\\/?$/.exec(u.pathname);
    if (m) return origin + "/button/users/" + (m[1] || m[2]);
    if (u.pathname === "/submit") return origin + "/button/submit" + u.search;
    return null;
  }

  function isCompact(a) {
    var v = a.getAttribute("data-compact");
    if (v === null) return a.getAttribute("data-style") === "compact";
    return v !== "false" && v !== "0";
  }

  function upgrade(a) {
    var src = widgetSrc(a.getAttribute("href") || "");
    if (!src || !a.parentNode) return;
    var style = isCompact(a) ? "compact" : "normal";
    if (style === "compact") src += (src.indexOf("?") < 0 ? "?" : "&") + "compact=1";
    var f = document.createElement("iframe");
    f.src = src;
    f.width = String(SIZE[style].width);
    f.height = String(SIZE[style].height);
    f.title = a.getAttribute("title") || "Flattr button";
    f.className = FRAME + " " + FRAME + "-" + style;
    // The widget needs no script and no access to anything; its link opens a real window.
    f.setAttribute("sandbox", "allow-popups allow-popups-to-escape-sandbox");
    f.setAttribute("scrolling", "no");
    f.setAttribute("loading", "lazy");
    f.style.border = "0";
    f.style.overflow = "hidden";
    f.style.verticalAlign = "middle";
    a.parentNode.replaceChild(f, a);
  }

  function scan() {
    var links = document.querySelectorAll("a.fediflattr-button");
    for (var i = 0; i < links.length; i++) upgrade(links[i]);
  }

  // Coming back from the confirmation window: show the new count.
  // The first return always refreshes; after that at most one reload per 2 s (focus and
  // visibilitychange usually fire together).
  var last = 0;
  function refresh(now) {
    if (now !== true && (document.visibilityState === "hidden" || Date.now() - last < 2000)) return;
    last = Date.now();
    var frames = document.querySelectorAll("iframe." + FRAME);
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].src.indexOf(origin + "/button/") === 0) frames[i].src = frames[i].src;
    }
  }

  // The confirmation window tells us when the visitor flattred (its opener is one of our frames,
  // and we are that frame's parent): refresh the counters now, without waiting for focus.
  window.addEventListener("message", function (e) {
    if (e.origin !== origin || !e.data || e.data.type !== "fediflattr:flattred") return;
    last = 0;
    refresh(true);
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
  window.addEventListener("focus", refresh);
  document.addEventListener("visibilitychange", refresh);
})();
`;

const ETAG = `"${createHash("sha256").update(BUTTON_JS).digest("base64url").slice(0, 16)}"`;

export function scriptRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/button.js", (c) => {
    c.header("Cache-Control", "public, max-age=3600");
    c.header("ETag", ETAG);
    c.header("Cross-Origin-Resource-Policy", "cross-origin");
    c.header("Access-Control-Allow-Origin", "*");
    if (
      c.req
        .header("if-none-match")
        ?.split(/\s*,\s*/)
        .includes(ETAG)
    )
      return c.body(null, 304);
    c.header("Content-Type", "text/javascript; charset=utf-8");
    return c.body(BUTTON_JS);
  });
  return app;
}
