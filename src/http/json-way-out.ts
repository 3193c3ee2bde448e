import { PRIVATE_NO_STORE } from "./cache-control.ts";
import { corsAnswerHeaders, type OpenCorsOptions } from "./cors.ts";

/**
 * Every header a JSON answer of an API app gets on its way out: c.json's Content-Type, the CORS
 * answer headers of `cors`, the default Cache-Control, and `outer`, what the app around it adds
 * (the security headers). A whole answer (src/http/whole-answer.ts) carries them itself; the REST
 * router and the Mastodon app both make theirs here.
 */
export function jsonWayOutHeaders(
  cors: OpenCorsOptions,
  outer: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  return {
    "Content-Type": "application/json",
    ...corsAnswerHeaders(cors),
    "Cache-Control": PRIVATE_NO_STORE,
    ...outer,
  };
}
