import { sql } from "drizzle-orm";
import { createSession } from "../../src/accounts/sessions.ts";
import { createApp } from "../../src/app.ts";
import type { Clock } from "../../src/config/clock.ts";
import type { Config } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import type { RemoteLookup } from "../../src/flattr/remote-lookup.ts";
import { cookieNames } from "../../src/web/session.ts";
import { makeUser } from "./flattr.ts";
import { WebClient } from "./web-client.ts";

/** An app over `database` and a way to get a logged-in page client for any user. */
export function moneyApp(
  config: Config,
  database: Database,
  clock: Clock,
  options: { remoteLookup?: RemoteLookup } = {},
) {
  const app = createApp({ config, database, clock }, options);
  const origin = config.origin.origin;
  return {
    app,
    visitor: () => new WebClient(app.fetch, origin),
    async as(userId: number): Promise<WebClient> {
      const { token } = await createSession(database.db, clock, userId);
      const client = new WebClient(app.fetch, origin);
      client.cookies.set(cookieNames(config).session, token);
      return client;
    },
    async user(name?: string, options: { admin?: boolean } = {}): Promise<number> {
      const id = await makeUser(database.db, name);
      if (options.admin)
        await database.db.execute(sql`update users set is_admin = true where id = ${id}`);
      return id;
    },
  };
}

/** The text of an HTML page with tags removed and whitespace collapsed, for readable asserts. */
export function textOf(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, " ")
    .trim();
}
