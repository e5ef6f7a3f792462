import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { logger } from "../logger";

// Applies the committed prisma/migrations/*/migration.sql at start-up, keeping
// Prisma's own `_prisma_migrations` bookkeeping (same table, same checksums) so
// an operator with the regular Prisma CLI sees the same history. The Prisma CLI
// itself cannot run here: its schema engine is a download these machines lack.

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

export function sqliteFilePath(databaseUrl: string): string {
  if (!databaseUrl.startsWith("file:")) throw new Error(`Only SQLite file: URLs are supported, got ${databaseUrl.split(":")[0]}:`);
  return path.resolve(databaseUrl.slice("file:".length).split("?")[0]);
}

export function listMigrations(dir: string): { name: string; sql: string; checksum: string }[] {
  if (!existsSync(dir)) throw new Error(`Migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/**
 * The migrations still to apply, given the bookkeeping rows of either backend. Refuses while an
 * earlier migration is marked started but neither finished nor rolled back.
 */
function pendingMigrations(
  rows: { migration_name: string; checksum: string; finished_at: unknown; rolled_back_at: unknown }[],
  migrationsDir: string,
): { pending: ReturnType<typeof listMigrations>; alreadyApplied: number } {
  const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed) throw new Error(`Migration ${failed.migration_name} failed earlier and was not resolved; fix the database, then mark it rolled back`);
  const done = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r.checksum]));
  const pending = listMigrations(migrationsDir).filter((m) => {
    const prior = done.get(m.name);
    if (prior !== undefined && prior !== m.checksum) logger.warn({ migration: m.name }, "migration file changed after it was applied");
    return prior === undefined;
  });
  return { pending, alreadyApplied: done.size };
}

/** Brings the database at `databaseUrl` up to date with `migrationsDir`. Safe to call on every start. */
export function migrateDatabase(opts: { databaseUrl: string; migrationsDir: string }): MigrationResult {
  const file = sqliteFilePath(opts.databaseUrl);
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 10000");
    db.exec(BOOKKEEPING);
    const rows = db
      .prepare(`SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`)
      .all() as { migration_name: string; checksum: string; finished_at: string | null; rolled_back_at: string | null }[];
    const { pending, alreadyApplied } = pendingMigrations(rows, opts.migrationsDir);
    const applied: string[] = [];
    for (const m of pending) {
      const id = randomUUID();
      // SQLite DDL is transactional: a failing migration leaves no half-applied schema.
      // Foreign keys are off during the migration because table rebuilds drop and re-create.
      db.pragma("foreign_keys = OFF");
      const apply = db.transaction(() => {
        db.prepare(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, ?, 0)`).run(
          id, m.checksum, m.name, new Date().toISOString(),
        );
        db.exec(m.sql);
        db.prepare(`UPDATE "_prisma_migrations" SET finished_at = ?, applied_steps_count = 1 WHERE id = ?`).run(new Date().toISOString(), id);
      });
      try {
        apply();
      } finally {
        db.pragma("foreign_keys = ON");
      }
      const fkErrors = db.pragma("foreign_key_check") as unknown[];
      if (fkErrors.length) throw new Error(`Migration ${m.name} left ${fkErrors.length} foreign key violations`);
      applied.push(m.name);
      logger.info({ op: "migrate", migration: m.name }, "migration applied");
    }
    return { applied, alreadyApplied };
  } finally {
    db.close();
  }
}

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

// Prisma's own bookkeeping table on PostgreSQL (as `prisma migrate deploy` creates it).
const PG_BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Any advisory-lock key will do as long as every Wharf replica uses the same one. */
const PG_MIGRATION_LOCK = 72_657_001;

/**
 * The PostgreSQL form of migrateDatabase. Replicas starting together take turns
 * on an advisory lock; each migration runs in its own transaction (PostgreSQL
 * DDL is transactional), so a failing one leaves nothing half-applied.
 */
export async function migratePostgres(opts: { databaseUrl: string; migrationsDir: string }): Promise<MigrationResult> {
  const { Client } = (await import("pg")).default;
  const client = new Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    // Keyset pages merge rows from several queries in JavaScript string order (the DNS list): the
    // database must sort text the same way, by code point. A C collation does; a locale's does not.
    const { rows: coll } = await client.query<{ datcollate: string }>("SELECT datcollate FROM pg_database WHERE datname = current_database()");
    if (!/^(C|POSIX|C\.utf-?8)$/i.test(coll[0]?.datcollate ?? "")) {
      throw new Error(
        `The PostgreSQL database sorts text by the locale ${coll[0]?.datcollate}; Wharf needs a C collation. ` +
          `Create it with: createdb --template=template0 --locale=C.UTF-8 --owner=<role> <name>`,
      );
    }
    await client.query("SELECT pg_advisory_lock($1)", [PG_MIGRATION_LOCK]);
    await client.query(PG_BOOKKEEPING);
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`,
    );
    const { pending, alreadyApplied } = pendingMigrations(rows, opts.migrationsDir);
    const applied: string[] = [];
    for (const m of pending) {
      const id = randomUUID();
      await client.query("BEGIN");
      try {
        await client.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`, [id, m.checksum, m.name]);
        await client.query(m.sql);
        await client.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw new Error(`Migration ${m.name} failed: ${(err as Error).message}`);
      }
      applied.push(m.name);
      logger.info({ op: "migrate", migration: m.name }, "migration applied");
    }
    return { applied, alreadyApplied };
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [PG_MIGRATION_LOCK]).catch(() => {});
    await client.end();
  }
}

/** Either backend, by the URL's scheme. */
export async function migrate(opts: { databaseUrl: string; migrationsDir: string }): Promise<MigrationResult> {
  return isPostgresUrl(opts.databaseUrl) ? migratePostgres(opts) : migrateDatabase(opts);
}
