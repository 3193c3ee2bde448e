import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import { balanceOf, walletAccount } from "../ledger/index.ts";

/** The user's wallet balance in the instance currency (0 before the first deposit). */
export function walletBalance(db: Db, config: Config, userId: number): Promise<bigint> {
  return balanceOf(db, walletAccount(userId), config.currency);
}
