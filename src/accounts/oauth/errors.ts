import { DomainError } from "../../errors.ts";

/**
 * Why an OAuth step was refused. The codes are RFC 6749's own (§4.1.2.1, §5.2), so the HTTP
 * layer can answer them as they are; `message` becomes `error_description`.
 */
export const OAUTH_ERROR_CODES = [
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "invalid_scope",
  "unsupported_grant_type",
  "unsupported_response_type",
  "invalid_redirect_uri",
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

export class OAuthError extends DomainError<OAuthErrorCode> {
  constructor(code: OAuthErrorCode, message: string) {
    super(code, message);
    this.name = "OAuthError";
  }
}
