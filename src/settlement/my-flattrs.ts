import { eq, inArray } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { things, users } from "../db/schema/index.ts";
import { currentPeriod } from "../flattr/current-period.ts";
import type { Period } from "../periods/period.ts";
import { type FlattrValue, type FlattrValues, flattrValues } from "./values.ts";

export interface MyFlattr extends FlattrValue {
  kind: string;
  owner: { id: number; username: string; displayName: string };
}

export interface MyFlattrs extends Omit<FlattrValues, "flattrs"> {
  flattrs: MyFlattr[];
}

/**
 * The user's active flattrs of a period (default: the current one) with the value of each:
 * projected while the period is open, final once the close processed the user (values.ts).
 */
export function myFlattrs(
  db: Db,
  config: Config,
  clock: Clock,
  userId: number,
  period: Period = currentPeriod(clock, config),
): Promise<MyFlattrs> {
  return periodFlattrs(db, config, userId, period);
}

/** myFlattrs for an explicit period (no clock needed). */
export async function periodFlattrs(
  db: Db,
  config: Config,
  userId: number,
  period: Period,
): Promise<MyFlattrs> {
  const values = await flattrValues(db, config, userId, period);
  const ids = [...new Set(values.flattrs.map((f) => f.thingId))];
  const rows =
    ids.length === 0
      ? []
      : await db
          .select({
            id: things.id,
            kind: things.kind,
            ownerId: users.id,
            username: users.username,
            displayName: users.displayName,
          })
          .from(things)
          .innerJoin(users, eq(users.id, things.ownerId))
          .where(inArray(things.id, ids));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return {
    ...values,
    flattrs: values.flattrs.map((f) => {
      const t = byId.get(f.thingId);
      return {
        ...f,
        kind: t?.kind ?? "page",
        owner: {
          id: t?.ownerId ?? 0,
          username: t?.username ?? "",
          displayName: t?.displayName ?? "",
        },
      };
    }),
  };
}
