// Writes the PostgreSQL migrations that mirror the SQLite ones, offline.
//
// prisma/migrations (SQLite) is the history every branch adds to; each of its
// folders gets a folder of the same name under prisma/postgresql/migrations.
// Introspecting PostgreSQL through the WebAssembly engine fails (adapter-pg
// cannot read the catalog's "char" columns), so the PostgreSQL steps are
// derived from SQLite: replay the SQLite migrations one at a time on a scratch
// file, introspect the datamodel after each, and let the engine diff the
// PostgreSQL versions of "before" and "after". A branch that added only a
// SQLite migration is caught up by running this once after the merge.
// lib/db/pg-migrations.test.ts proves both folders build the same tables.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { liveEnv } from "../env";
import { listMigrations } from "./migrate";
import { postgresSchema } from "./pg-schema";
import { schemaEngine } from "./schema-engine";

const SQLITE_DATASOURCE = 'datasource db {\n  provider = "sqlite"\n}\n';
const CLIENT = 'generator client {\n  provider = "prisma-client"\n  output = "../lib/generated/prisma"\n}\n';

/** An introspected SQLite datamodel as the PostgreSQL datamodel of the same tables. */
function asPostgres(introspected: string): string {
  return postgresSchema(introspected.replace(/datasource\s+db\s*\{[^}]*\}/, SQLITE_DATASOURCE.trim()) + "\n" + CLIENT);
}

/**
 * Replays `migrations` on a scratch SQLite file and calls `each` with the
 * datamodel the engine introspects after every one (SQLite provider).
 */
export async function replaySqlite(migrations: { name: string; sql: string }[], each: (name: string, datamodel: string) => Promise<void>): Promise<void> {
  const tmp = mkdtempSync(path.join(tmpdir(), "wharf-replay-"));
  const file = path.join(tmp, "replay.db");
  const replay = new Database(file);
  replay.pragma("foreign_keys = OFF");
  const introspector = await schemaEngine({ schemaPath: path.join(tmp, "schema.prisma"), schema: SQLITE_DATASOURCE, databaseUrl: `file:${file}` });
  try {
    for (const m of migrations) {
      replay.exec(m.sql);
      await each(m.name, await introspector.introspect());
    }
  } finally {
    await introspector.dispose();
    replay.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The SQLite datamodel the migrations build, with a client generator; null for none. */
export async function replayedDatamodel(migrations: { name: string; sql: string }[]): Promise<string | null> {
  let last: string | null = null;
  await replaySqlite(migrations, async (_name, dm) => {
    last = dm;
  });
  return last === null ? null : `${last}\n${CLIENT}`;
}

export interface CatchUpResult {
  written: string[];
  /** PostgreSQL folders that have no SQLite folder of the same name (a renamed SQLite migration, most likely). */
  unpaired: string[];
}

/**
 * Writes `pgDir/<name>/migration.sql` for every SQLite migration that has no
 * PostgreSQL counterpart yet, in order. `pgUrl` (a running PostgreSQL; default the test one of test/services/start.sh, or WHARF_PG_TOOLS_URL) is only handed to the engine's
 * connector; datamodel-to-datamodel diffs do not query it.
 */
export async function catchUpPgMigrations(opts: { sqliteDir: string; pgDir: string; pgUrl?: string }): Promise<CatchUpResult> {
  const sqlite = listMigrations(opts.sqliteDir);
  mkdirSync(opts.pgDir, { recursive: true });
  const pgNames = new Set(readdirSync(opts.pgDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name));
  const unpaired = [...pgNames].filter((n) => !sqlite.some((m) => m.name === n)).sort();
  const missing = sqlite.filter((m) => !pgNames.has(m.name) || !existsSync(path.join(opts.pgDir, m.name, "migration.sql")));
  if (!missing.length) return { written: [], unpaired };

  const tmp = mkdtempSync(path.join(tmpdir(), "wharf-pg-migrations-"));
  const pgUrl = opts.pgUrl ?? liveEnv().pgToolsUrl ?? "postgresql://wharf:wharf@127.0.0.1:5432/postgres";
  const written: string[] = [];
  try {
    let before: string | null = null;
    await replaySqlite(sqlite, async (name, datamodel) => {
      const after = asPostgres(datamodel);
      const m = missing.find((x) => x.name === name);
      if (m) {
        const pgPath = path.join(tmp, "pg.prisma");
        const engine = await schemaEngine({ schemaPath: pgPath, schema: after, databaseUrl: pgUrl });
        const sql = await engine.diff(before === null ? { tag: "empty" } : { tag: "schemaDatamodel", files: [{ path: pgPath, content: before }] }, {
          tag: "schemaDatamodel",
          files: [{ path: pgPath, content: after }],
        });
        await engine.dispose();
        mkdirSync(path.join(opts.pgDir, m.name), { recursive: true });
        // A SQLite-only change (none so far) still gets its folder, so the two histories pair by name.
        writeFileSync(path.join(opts.pgDir, m.name, "migration.sql"), (sql || "-- No PostgreSQL change for this migration.") + "\n");
        written.push(m.name);
      }
      before = after;
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const lock = path.join(opts.pgDir, "migration_lock.toml");
  if (!existsSync(lock)) writeFileSync(lock, '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n');
  return { written, unpaired };
}
