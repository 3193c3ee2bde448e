import { createHash } from "node:crypto";
import { and, eq, isNull, lt } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { statusIdempotencyKeys } from "../db/schema/index.ts";
import { ok, type Result, refused } from "../errors.ts";
import { PostError } from "./errors.ts";
import type { SocialDeps } from "./ports.ts";
import { createPost, type PostInput } from "./posts.ts";

/*
 * Writing a post at most once per `Idempotency-Key` (Mastodon apps send one with every post, so
 * a retry after a lost answer does not post twice). The key is claimed before the post is
 * written and answered with the post's id afterwards; a refused post frees it again. Keys are
 * kept an hour, as Mastodon keeps them.
 */

const KEEP_MS = 3600 * 1000;

const digest = (key: string) => createHash("sha256").update(key).digest("base64url");

/**
 * Writes the post unless this key of this user already wrote one in the last hour; answers the
 * post's id and whether it is new. Refused as createPost is, and `in_progress` while a request
 * with the same key is still writing.
 */
export async function createPostOnce(
  deps: SocialDeps,
  userId: number,
  input: PostInput,
  rawKey: string,
): Promise<Result<{ id: bigint; created: boolean }, PostError>> {
  const db = deps.db;
  const now = deps.clock.now();
  const key = digest(rawKey);
  const mine = and(eq(statusIdempotencyKeys.userId, userId), eq(statusIdempotencyKeys.key, key));
  await db
    .delete(statusIdempotencyKeys)
    .where(
      and(
        eq(statusIdempotencyKeys.userId, userId),
        lt(statusIdempotencyKeys.createdAt, new Date(now.getTime() - KEEP_MS)),
      ),
    );
  const claimed = await db
    .insert(statusIdempotencyKeys)
    .values({ userId, key, statusId: null, createdAt: now })
    .onConflictDoNothing()
    .returning({ key: statusIdempotencyKeys.key });
  if (claimed.length === 0) {
    const [row] = await db
      .select({ statusId: statusIdempotencyKeys.statusId })
      .from(statusIdempotencyKeys)
      .where(mine);
    if (row?.statusId != null) return ok({ id: row.statusId, created: false });
    return refused(
      new PostError(
        "in_progress",
        "A request with this Idempotency-Key is still being processed; try again in a moment.",
      ),
    );
  }
  const free = (tx: Db) =>
    tx.delete(statusIdempotencyKeys).where(and(mine, isNull(statusIdempotencyKeys.statusId)));
  let created: Awaited<ReturnType<typeof createPost>>;
  try {
    created = await createPost(deps, userId, input);
  } catch (e) {
    await free(db);
    throw e;
  }
  if (!created.ok) {
    await free(db);
    return created;
  }
  await db.update(statusIdempotencyKeys).set({ statusId: created.value.id }).where(mine);
  return ok({ id: created.value.id, created: true });
}
