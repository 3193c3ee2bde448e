import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../http/env.ts";
import { ClientError } from "../../http/errors.ts";
import { formGuard } from "../csrf.ts";

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * Stricter than the general CSRF check for the forms that move money: the request must prove it
 * came from one of our pages. A browser says so with Origin (forms always send it on POST), with
 * Referer when Origin is "null", or at least with Sec-Fetch-Site; a request that says nothing is
 * refused rather than trusted. Our Referrer-Policy (same-origin) keeps Origin and Referer intact
 * on our own forms and sends neither to other sites.
 */
function sameOriginPost(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ours = c.var.deps.config.origin.origin;
    const origin = c.req.header("origin");
    const referer = c.req.header("referer");
    const site = c.req.header("sec-fetch-site");
    const refuse = (why: string) => {
      throw new ClientError(
        403,
        `${why} A flattr must be confirmed on ${ours} itself: open the confirmation page and ` +
          "press its button.",
      );
    };
    if (site !== undefined && site !== "same-origin")
      refuse(`This request came from another site (Sec-Fetch-Site: ${site}).`);
    if (origin !== undefined && origin !== "null") {
      if (origin !== ours) refuse(`This request came from ${origin}.`);
    } else if (referer !== undefined) {
      if (originOf(referer) !== ours) refuse("This request came from another page.");
    } else if (site === undefined) {
      refuse("This request does not say which page sent it.");
    }
    await next();
  };
}

/** Provenance, then the body limit and our CSRF token (src/web/csrf.ts). */
export function confirmGuard(): MiddlewareHandler<AppEnv> {
  const provenance = sameOriginPost();
  const form = formGuard();
  return (c, next) =>
    provenance(c, async () => {
      await form(c, next);
    });
}
