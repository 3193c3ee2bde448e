import { unwrap } from "../errors.ts";
import { endpoint } from "../http/endpoint.ts";
import { socialDeps } from "../http/env.ts";
import { follow, unfollow } from "../social/follows.ts";
import { BODY_ERRORS } from "./responses.ts";
import { ErrorBody, FollowInput, Following, FollowQuery, Unfollowed } from "./schemas.ts";

/*
 * Following in the REST API, through the follow doors (src/social/follows.ts) the web form calls
 * too: anyone here or on another server, by handle (found through WebFinger) or actor address.
 */

const postFollow = endpoint(
  {
    method: "post",
    path: "/follows",
    operationId: "follow",
    summary: "Follow someone here or on another server",
    description:
      "A handle (`@alice@example.org`, found through WebFinger), or the address of an actor or " +
      "profile. A remote account gets a Follow and may take a moment to accept (`accepted` " +
      "false until it does); following again changes nothing. Refusals: 404 actor_not_found, " +
      "422 no_inbox, self_follow.",
    tags: ["follows"],
    auth: "write",
    body: FollowInput,
    bodyExample: { target: "@someone@server.example" },
    responses: {
      200: { description: "Followed (or already following).", json: Following },
      404: { description: "No such account (actor_not_found).", json: ErrorBody },
      ...BODY_ERRORS,
    },
  },
  async (c, { user, body }) => {
    const r = unwrap(await follow(socialDeps(c), user.id, body.target));
    return c.json({ actor: r.actorUri, follow_id: r.followId, accepted: r.accepted }, 200);
  },
);

const deleteFollow = endpoint(
  {
    method: "delete",
    path: "/follows",
    operationId: "unfollow",
    summary: "Stop following an actor",
    description: "By the actor address `follow` answered. An Undo goes to a remote account.",
    tags: ["follows"],
    auth: "write",
    query: FollowQuery,
    responses: { 200: { description: "Done.", json: Unfollowed } },
  },
  async (c, { user, query }) =>
    c.json({ unfollowed: await unfollow(socialDeps(c), user.id, query.actor) }, 200),
);

export const followEndpoints = [postFollow, deleteFollow];
