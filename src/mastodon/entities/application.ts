import type { OAuthApp } from "../../accounts/oauth/apps.ts";

/*
 * Mastodon's Application entity: what `GET /api/v1/apps/verify_credentials` answers, and (with
 * the client credentials) what `POST /api/v1/apps` answers. `redirect_uri` is the deprecated
 * newline-joined form some apps still read; `vapid_key` is empty (no Web Push here).
 */

export function applicationJson(app: OAuthApp) {
  return {
    id: String(app.id),
    name: app.name,
    website: app.website,
    scopes: app.scopes,
    redirect_uri: app.redirectUris.join("\n"),
    redirect_uris: app.redirectUris,
    vapid_key: "",
  };
}

export function credentialApplicationJson(app: OAuthApp, clientSecret: string) {
  return {
    ...applicationJson(app),
    client_id: app.clientId,
    client_secret: clientSecret,
    client_secret_expires_at: 0,
  };
}
