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
    const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed) {
      throw new Error(`Migration ${failed.migration_name} failed earlier and was not resolved; fix the database, then mark it rolled back`);
    }
    const done = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r.checksum]));
    const applied: string[] = [];
    for (const m of listMigrations(opts.migrationsDir)) {
      const prior = done.get(m.name);
      if (prior !== undefined) {
        if (prior !== m.checksum) logger.warn({ migration: m.name }, "migration file changed after it was applied");
        continue;
      }
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
    return { applied, alreadyApplied: done.size };
  } finally {
    db.close();
  }
}
