import type { Context, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../http/env.ts";
import { FormMessage, renderPage } from "./layout.tsx";

/*
 * Error pages in the site layout, with a way back. http/errors.ts answers every refusal; for
 * pages it calls the renderer this middleware puts on the context (a port: http cannot import
 * the web surface). Errors from button links arrive from other sites, so the way back includes
 * the site the visitor came from when the browser says which.
 */

const TITLES: Partial<Record<number, string>> = {
  400: "That link or form is not right",
  401: "Please log in",
  403: "Not allowed",
  404: "Page not found",
  409: "That clashes with something",
  410: "Gone",
  413: "Too large",
  422: "That could not be done",
  424: "Another server did not answer",
  429: "Too many requests",
  500: "Something went wrong",
};

/** The page the visitor came from, when it is another web site (http/https, not this one). */
function cameFrom(c: Context<AppEnv>): URL | null {
  const ref = c.req.header("referer");
  if (!ref) return null;
  try {
    const url = new URL(ref);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    if (url.origin === c.var.deps.config.origin.origin) return null;
    return url;
  } catch {
    return null;
  }
}

export function errorPage(c: Context<AppEnv>, status: ContentfulStatusCode, message: string) {
  const from = cameFrom(c);
  const title = TITLES[status] ?? (status >= 500 ? "Something went wrong" : "That did not work");
  return renderPage(
    c,
    { title, status },
    <>
      <FormMessage error={message} />
      <p class="actions" data-testid="way-back">
        {from && (
          <a href={from.href} rel="nofollow noopener noreferrer">
            Back to {from.host}
          </a>
        )}
        <a href="/">Home</a>
        <a href="/discover">Discover</a>
      </p>
    </>,
  );
}

/** Puts the layout error page on the context for http/errors.ts. */
export function errorPages(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("errorPage", (status, message) => errorPage(c, status, message));
    await next();
  };
}
