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
const { loadInstallationId } = await import("../lib/secrets");
await loadInstallationId();

if (dropDatabase) {
  afterAll(async () => {
    const client = (globalThis as { wharfDb?: { $disconnect: () => Promise<void> } }).wharfDb;
    await client?.$disconnect();
    await dropDatabase?.();
  });
}
