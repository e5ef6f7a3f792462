// Vitest setup for tests that touch the database: every test file gets its
// own data folder (SQLite file, generated secrets) with all migrations applied.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const dir = mkdtempSync(path.join(tmpdir(), "wharf-test-"));
process.env.WHARF_DATA_DIR = dir;
delete process.env.DATABASE_URL;
delete (globalThis as { wharfDb?: unknown }).wharfDb;

const { resetEnvCache, env } = await import("../lib/env");
resetEnvCache();
const { resetSecretsCache } = await import("../lib/secrets");
resetSecretsCache();
const { migrateDatabase } = await import("../lib/db/migrate");
migrateDatabase({ databaseUrl: env().databaseUrl, migrationsDir: path.resolve("prisma/migrations") });
