/*
 * The flattr use cases every surface calls (pages and the button, the REST API, and the
 * Mastodon API and inbox to come): one door each, refusals returned as typed values
 * (src/errors.ts). The plain building blocks (flattr, unflattr, registerThing, setBudget) stay
 * in their modules and throw FlattrError.
 */
export { ensureFlattred, type Flattred } from "./ensure-flattred.ts";
export { flattrProfile, profileOwner } from "./flattr-profile.ts";
export { flattrStatus, type StarRefusal, unflattrStatus } from "./flattr-status.ts";
export {
  type StarByToken,
  type StarExtras,
  type StarredStatus,
  type StarTokenRefusal,
  starByToken,
} from "./star-by-token.ts";
export { checkSubmission, type Submission, type SubmitLink, submitAndFlattr } from "./submit.ts";
