import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { hostname } from "./host.ts";

/**
 * Whether a server is blocked here: its host, or a parent domain of it, is in blocked_domains
 * (ports ignored). Every inbound activity, look-up and delivery asks this.
 */
export async function isDomainBlocked(db: Db, host: string): Promise<boolean> {
  const name = hostname(host.toLowerCase());
  // example.org blocks a.example.org: compare the stored host's name with each suffix of ours.
  const labels = name.startsWith("[") ? [name] : name.split(".");
  const suffixes = name.startsWith("[") ? [name] : labels.map((_, i) => labels.slice(i).join("."));
  const rows = await queryRows<{ x: number }>(
    db,
    sql`select 1 as x from blocked_domains
        where regexp_replace(host, ':[0-9]+$', '') in (
          select json_array_elements_text(${JSON.stringify(suffixes)}::json))
        limit 1`,
  );
  return rows.length > 0;
}
