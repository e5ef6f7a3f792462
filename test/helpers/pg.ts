// Scratch PostgreSQL databases for tests, on the server test/services/start.sh
// starts (role wharf, 127.0.0.1:5432). Each test file makes its own database
// and drops it at the end, so files run in parallel without sharing rows.
import { randomBytes } from "node:crypto";
import pg from "pg";

export const PG_ADMIN_URL = process.env.WHARF_TEST_PG_URL ?? "postgresql://wharf:wharf@127.0.0.1:5432/postgres";

export function pgUrlFor(database: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = [], url = PG_ADMIN_URL): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** A new, empty database; `drop` ends its connections and removes it. */
export async function createScratchDatabase(prefix = "wharf_t"): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}" TEMPLATE template0 LOCALE 'C.UTF-8'`);
  return {
    name,
    url: pgUrlFor(name),
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
