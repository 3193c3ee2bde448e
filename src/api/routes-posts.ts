import { unwrap } from "../errors.ts";
import { endpoint } from "../http/endpoint.ts";
import { socialDeps } from "../http/env.ts";
import { apiPostUrl } from "../http/urls.ts";
import { PostError } from "../social/errors.ts";
import { createPost, deletePost, editPost, getPost, type Post } from "../social/posts.ts";
import { BODY_ERRORS } from "./responses.ts";
import {
  DeletedPost,
  PostCreated,
  PostEditInput,
  PostInput,
  PostPath,
  Post as PostSchema,
} from "./schemas.ts";
import { postJson } from "./serialize.ts";

/*
 * Posts in the REST API: write, read, edit, delete your own, through the post doors
 * (src/social/posts.ts) every surface calls. Ids are strings: int8s that sort by time (as in
 * Mastodon's API) exceed what a JSON number holds exactly.
 */

type Ctx = Parameters<typeof socialDeps>[0];

/** A live post by id, or a 404 (post_not_found) for unknown and deleted ones. */
async function livePost(c: Ctx, id: bigint): Promise<Post> {
  const post = await getPost(socialDeps(c), id);
  if (!post || post.deletedAt) throw new PostError("post_not_found", "There is no such post.");
  return post;
}

const postPost = endpoint(
  {
    method: "post",
    path: "/posts",
    operationId: "createPost",
    summary: "Write a post",
    description:
      "Delivered as a Create to your followers and the accounts it mentions, and flattrable at " +
      "once (its thing, kind note). Refusals: 422 invalid_content, invalid_reply.",
    tags: ["posts"],
    auth: "write",
    body: PostInput,
    bodyExample: { content: "Hello, fediverse! @someone@server.example" },
    responses: {
      201: { description: "Written.", json: PostCreated, headers: { Location: "Location" } },
      ...BODY_ERRORS,
    },
  },
  async (c, { user, body }) => {
    const input = { content: body.content, inReplyTo: body.in_reply_to };
    const created = unwrap(await createPost(socialDeps(c), user.id, input));
    c.header("Location", apiPostUrl(c.var.deps.config, created.id));
    const { id, uri, url, thingId } = created;
    return c.json({ id: String(id), uri, url, thing_id: thingId }, 201);
  },
);

const getPostById = endpoint(
  {
    method: "get",
    path: "/posts/{id}",
    operationId: "getPost",
    summary: "A post (404 once deleted)",
    tags: ["posts"],
    auth: "read",
    params: PostPath,
    responses: { 200: { description: "The post.", json: PostSchema }, 404: "NotFound" },
  },
  async (c, { params }) => c.json(postJson(c.var.deps.config, await livePost(c, params.id))),
);

const editEndpoint = (method: "put" | "patch") =>
  endpoint(
    {
      method,
      path: "/posts/{id}",
      operationId: method === "put" ? "editPost" : "patchPost",
      summary: "Edit your post (delivered as an Update)",
      description: "Only its author (403 not_author). The same text again changes nothing.",
      tags: ["posts"],
      auth: "write",
      params: PostPath,
      body: PostEditInput,
      responses: {
        200: { description: "Edited.", json: PostSchema },
        404: "NotFound",
        ...BODY_ERRORS,
      },
    },
    async (c, { user, params, body }) => {
      unwrap(await editPost(socialDeps(c), user.id, params.id, { content: body.content }));
      return c.json(postJson(c.var.deps.config, await livePost(c, params.id)));
    },
  );

const deletePostById = endpoint(
  {
    method: "delete",
    path: "/posts/{id}",
    operationId: "deletePost",
    summary: "Delete your post (delivered as a Delete; its thing and flattrs stay)",
    tags: ["posts"],
    auth: "write",
    params: PostPath,
    responses: { 200: { description: "Deleted.", json: DeletedPost }, 404: "NotFound" },
  },
  async (c, { user, params }) => {
    const deleted = unwrap(await deletePost(socialDeps(c), user.id, params.id));
    return c.json({ id: String(deleted.id), thing_id: deleted.thingId, deleted: true as const });
  },
);

export const postEndpoints = [
  postPost,
  getPostById,
  editEndpoint("put"),
  editEndpoint("patch"),
  deletePostById,
];
