// A separate process that migrates a PostgreSQL database, for the test of the migration lock.
// argv: <database url> [--without-lock]. Without the lock it runs drizzle's migrator directly, which
// is what migrate() would be without its advisory lock. Exits 0, or 1 with the error on stderr.
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as drizzleMigrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { openPostgres } from "../../src/db/client.ts";
import { migrate, migrationsFolder } from "../../src/db/migrate.ts";

const [url, mode] = process.argv.slice(2);
if (mode === "--without-lock") {
  const client = postgres(url!, { max: 1, onnotice: () => {} });
  try {
    await drizzleMigrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.end();
  }
} else {
  const database = openPostgres(url!, { max: 1 });
  try {
    await migrate(database);
  } finally {
    await database.close();
  }
}
