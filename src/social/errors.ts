import { DomainError } from "../errors.ts";

/** Why writing, editing or deleting a post was refused (nothing was written or sent). */
export const POST_ERROR_CODES = [
  /** Empty, too long, control characters, not Unicode. */
  "invalid_content",
  /** `in_reply_to` is not an http(s) URL. */
  "invalid_reply",
  "post_not_found",
  /** Someone else's post: only its author edits or deletes it. */
  "not_author",
  /** A post with the same Idempotency-Key is still being written. */
  "in_progress",
] as const;
export type PostErrorCode = (typeof POST_ERROR_CODES)[number];

export class PostError extends DomainError<PostErrorCode> {
  constructor(code: PostErrorCode, message: string) {
    super(code, message);
    this.name = "PostError";
  }
}

/** Why a follow or unfollow was refused (nothing was recorded or sent). */
export const FOLLOW_ERROR_CODES = [
  "user_not_found",
  "actor_not_found",
  "no_inbox",
  "self_follow",
] as const;
export type FollowErrorCode = (typeof FOLLOW_ERROR_CODES)[number];

export class FollowError extends DomainError<FollowErrorCode> {
  constructor(code: FollowErrorCode, message: string) {
    super(code, message);
    this.name = "FollowError";
  }
}
