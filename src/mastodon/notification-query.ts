import type { Context } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../http/env.ts";
import { listNotifications, type Notification } from "../social/notifications.ts";
import { lenient, parseParams } from "./input.ts";
import { idParam, linkHeader, pageParams } from "./pagination.ts";

/*
 * The one reading of a notifications list request, for `/api/v1/notifications` and the grouped
 * `/api/v2/notifications`: the same filters (types, exclude_types, account_id) and the same
 * pages and `Link`, so the two versions can never disagree on which notifications a page holds.
 */

const ListParams = v.object({
  types: lenient.stringList(),
  exclude_types: lenient.stringList(),
  account_id: lenient.string(),
  max_id: lenient.string(),
  since_id: lenient.string(),
  min_id: lenient.string(),
  limit: lenient.string(),
});

/**
 * The page of the user's notifications the request asks for, with its `Link` header set.
 * An `account_id` that is no account id matches nothing (an empty page, as Mastodon answers).
 */
export async function notificationPage(
  c: Context<AppEnv>,
  userId: number,
): Promise<Notification[]> {
  const params = await parseParams(c, ListParams);
  const page = pageParams(params, { defaultLimit: 40, maxLimit: 80 });
  const accountId = params.account_id === undefined ? undefined : idParam(params.account_id);
  if (params.account_id !== undefined && accountId === undefined) return [];
  const list = await listNotifications(c.var.deps.database.db, userId, {
    ...page,
    types: params.types,
    excludeTypes: params.exclude_types,
    accountId,
  });
  const link = linkHeader(
    new URL(c.req.url),
    list.map((n) => n.id),
  );
  if (link) c.header("Link", link);
  return list;
}
