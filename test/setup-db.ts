// Vitest setup for tests that touch the database: every test file gets its
// own data folder (SQLite file, generated secrets) with all migrations applied.
// WHARF_TEST_DB=postgres (the *-pg projects) gives each file its own fresh
// PostgreSQL database instead, on the server test/services/start.sh starts.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

const dir = mkdtempSync(path.join(tmpdir(), "wharf-test-"));
process.env.WHARF_DATA_DIR = dir;
delete process.env.DATABASE_URL;
delete (globalThis as { wharfDb?: unknown }).wharfDb;

let dropDatabase: (() => Promise<void>) | undefined;
if (process.env.WHARF_TEST_DB === "postgres") {
  const { createScratchDatabase } = await import("./helpers/pg");
  const scratch = await createScratchDatabase();
  process.env.DATABASE_URL = scratch.url;
  // Replicas share these (start-up refuses PostgreSQL without them); fixed test values.
  process.env.NEXTAUTH_SECRET ??= "test-nextauth-secret-0123456789";
  process.env.WHARF_ENCRYPTION_KEY ??= "test-encryption-key-0123456789";
  process.env.CRON_SECRET ??= "test-cron-secret-0123456789abc";
  dropDatabase = scratch.drop;
}

const { resetEnvCache, env } = await import("../lib/env");
resetEnvCache();
const { resetSecretsCache } = await import("../lib/secrets");
resetSecretsCache();
const { migrate } = await import("../lib/db/migrate");
await migrate({ databaseUrl: env().databaseUrl, migrationsDir: env().migrationsDir });
if (dropDatabase) {
  // What loadInstallationId() does at start-up, through a client of its own: importing lib/db here
  // would create the app's Prisma client before a test file can install its own (lists-plan.test.ts).
  const { adminQuery } = await import("./helpers/pg");
  const url = env().databaseUrl;
  await adminQuery(`INSERT INTO "Setting" ("key", "value", "updatedAt") VALUES ('installation-id', $1, now()) ON CONFLICT ("key") DO NOTHING`, [
    (await import("node:crypto")).randomBytes(6).toString("hex"),
  ], url);
  const [row] = await adminQuery<{ value: string }>(`SELECT "value" FROM "Setting" WHERE "key" = 'installation-id'`, [], url);
  (await import("../lib/secrets")).rememberInstallationId(row.value);
}

if (dropDatabase) {
  afterAll(async () => {
    const client = (globalThis as { wharfDb?: { $disconnect: () => Promise<void> } }).wharfDb;
    await client?.$disconnect();
    await dropDatabase?.();
  }, 60_000); // DROP DATABASE ... WITH (FORCE) waits for the file's connections to end
}
