import type { Clock } from "./config/clock.ts";
import type { Config } from "./config/config.ts";
import type { Database } from "./db/client.ts";

/** What every part of the app gets from the composition root. */
export interface Deps {
  config: Config;
  database: Database;
  clock: Clock;
}
