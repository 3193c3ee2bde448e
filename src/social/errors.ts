import { DomainError } from "../errors.ts";

/** Why a follow or unfollow was refused. Stable strings: clients and tests match on them. */
export const FOLLOW_ERROR_CODES = [
  "user_not_found",
  "actor_not_found",
  "no_inbox",
  "self_follow",
] as const;
export type FollowErrorCode = (typeof FOLLOW_ERROR_CODES)[number];

/**
 * A refused follow or unfollow (nothing was recorded or sent). A domain error of the social
 * module although the inbox and delivery side of follows is in src/federation/: the HTTP layer
 * maps its codes (src/http/error-status.ts) and may not import a surface.
 */
export class FollowError extends DomainError<FollowErrorCode> {
  constructor(code: FollowErrorCode, message: string) {
    super(code, message);
    this.name = "FollowError";
  }
}
