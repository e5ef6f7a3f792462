import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase } from "../../test/helpers/pg";
import { listMigrations, migrateDatabase, migratePostgres } from "./migrate";
import { PG_MIGRATIONS_DIR, PG_SCHEMA_PATH } from "./pg-schema";
import { schemaEngine } from "./schema-engine";

// Both migration folders must build the same tables, columns, keys and
// indexes; the PostgreSQL folder must also build exactly what the generated
// PostgreSQL schema describes (the engine's `empty → schema` diff, applied on
// a second scratch database). Needs the PostgreSQL of test/services/start.sh.

const sqliteDir = path.resolve("prisma/migrations");
const pgDir = path.resolve(PG_MIGRATIONS_DIR);

type Shape = string[];
const TYPE: Record<string, string> = {
  TEXT: "text", DATETIME: "datetime", INTEGER: "int", REAL: "float", BOOLEAN: "bool",
  text: "text", "timestamp without time zone": "datetime", integer: "int", "double precision": "float", boolean: "bool",
};
const ON_DELETE: Record<string, string> = { a: "NO ACTION", r: "RESTRICT", c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" };
const normDefault = (d: unknown) => {
  if (d === null || d === undefined) return "none";
  const s = String(d).replace(/::[a-z ]+$/i, "");
  if (/^nextval\(/.test(s)) return "autoincrement";
  return s.replace(/^'(.*)'$/, "$1");
};

function sqliteShape(file: string): Shape {
  const db = new Database(file, { readonly: true });
  const out: Shape = [];
  const tables = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'`).all() as { name: string; sql: string }[];
  for (const { name, sql } of tables) {
    for (const c of db.prepare(`PRAGMA table_info("${name}")`).all() as Record<string, unknown>[]) {
      const auto = c.pk === 1 && /AUTOINCREMENT/i.test(sql) && c.type === "INTEGER";
      out.push(`${name}.${c.name} ${TYPE[String(c.type)] ?? c.type} notnull=${c.notnull === 1 || c.pk === 1} default=${auto ? "autoincrement" : normDefault(c.dflt_value)} pk=${c.pk !== 0}`);
    }
    for (const f of db.prepare(`PRAGMA foreign_key_list("${name}")`).all() as Record<string, unknown>[]) out.push(`${name} fk ${f.from} -> ${f.table}.${f.to} on delete ${f.on_delete}`);
    for (const i of db.prepare(`PRAGMA index_list("${name}")`).all() as Record<string, unknown>[]) {
      if (String(i.name).startsWith("sqlite_autoindex")) continue;
      const cols = (db.prepare(`PRAGMA index_info("${i.name}")`).all() as Record<string, unknown>[]).map((c) => c.name).join(",");
      out.push(`${name} index ${i.name}(${cols}) unique=${i.unique === 1}`);
    }
  }
  db.close();
  return out.sort();
}

async function pgShape(url: string): Promise<Shape> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const out: Shape = [];
    const pk = await c.query<{ t: string; col: string }>(`SELECT tc.table_name AS t, k.column_name AS col FROM information_schema.table_constraints tc
      JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
      WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public'`);
    const pks = new Set(pk.rows.map((r) => `${r.t}.${r.col}`));
    const cols = await c.query<{ t: string; col: string; type: string; nullable: string; def: string | null }>(`SELECT table_name AS t, column_name AS col, data_type AS type,
      is_nullable AS nullable, column_default AS def FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
    for (const r of cols.rows) out.push(`${r.t}.${r.col} ${TYPE[r.type] ?? r.type} notnull=${r.nullable === "NO"} default=${normDefault(r.def)} pk=${pks.has(`${r.t}.${r.col}`)}`);
    const fks = await c.query<{ t: string; col: string; rt: string; rc: string; del: string }>(`SELECT cl.relname AS t, a.attname AS col, rcl.relname AS rt, ra.attname AS rc, con.confdeltype AS del
      FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_class rcl ON rcl.oid = con.confrelid
      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
      JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE con.contype = 'f' AND n.nspname = 'public'`);
    for (const r of fks.rows) out.push(`${r.t} fk ${r.col} -> ${r.rt}.${r.rc} on delete ${ON_DELETE[r.del]}`);
    const idx = await c.query<{ t: string; name: string; unique: boolean; cols: string }>(`SELECT t.relname AS t, i.relname AS name, ix.indisunique AS unique,
      (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS cols
      FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND NOT ix.indisprimary AND t.relname <> '_prisma_migrations'`);
    for (const r of idx.rows) out.push(`${r.t} index ${r.name}(${r.cols}) unique=${r.unique}`);
    return out.sort();
  } finally {
    await c.end();
  }
}

describe("the two migration folders", () => {
  const dbs: { url: string; drop: () => Promise<void> }[] = [];
  let migrated: string;
  beforeAll(async () => {
    const a = await createScratchDatabase();
    dbs.push(a);
    migrated = a.url;
    await migratePostgres({ databaseUrl: migrated, migrationsDir: pgDir });
  });
  afterAll(async () => {
    for (const d of dbs) await d.drop();
  });

  it("pair by name: every SQLite migration has its PostgreSQL migration and no other (npm run migration:pg-catch-up writes missing ones)", () => {
    const names = (dir: string) => readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(names(pgDir)).toEqual(names(sqliteDir));
    expect(names(pgDir).length).toBeGreaterThan(5);
  });

  it("build the same tables, columns, keys and indexes", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wharf-pg-vs-sqlite-"));
    migrateDatabase({ databaseUrl: `file:${path.join(dir, "m.db")}`, migrationsDir: sqliteDir });
    const fromSqlite = sqliteShape(path.join(dir, "m.db"));
    expect(fromSqlite.length).toBeGreaterThan(100);
    expect(await pgShape(migrated)).toEqual(fromSqlite);
  });

  it("the PostgreSQL migrations build exactly the generated PostgreSQL schema", async () => {
    const b = await createScratchDatabase();
    dbs.push(b);
    const schema = readFileSync(PG_SCHEMA_PATH, "utf8");
    const engine = await schemaEngine({ schemaPath: PG_SCHEMA_PATH, schema, databaseUrl: b.url });
    const sql = await engine.diff({ tag: "empty" }, { tag: "schemaDatamodel", files: [{ path: PG_SCHEMA_PATH, content: schema }] });
    await engine.dispose();
    const c = new pg.Client({ connectionString: b.url });
    await c.connect();
    await c.query(sql);
    await c.end();
    expect(await pgShape(migrated)).toEqual(await pgShape(b.url));
  });

  it("keeps Prisma's bookkeeping and applies nothing twice", async () => {
    const again = await migratePostgres({ databaseUrl: migrated, migrationsDir: pgDir });
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(listMigrations(pgDir).length);
    const c = new pg.Client({ connectionString: migrated });
    await c.connect();
    const rows = (await c.query(`SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`)).rows;
    await c.end();
    expect(rows.map((r) => r.migration_name)).toEqual(listMigrations(pgDir).map((m) => m.name));
    expect(rows.map((r) => r.checksum)).toEqual(listMigrations(pgDir).map((m) => m.checksum));
    expect(rows.every((r) => r.finished_at instanceof Date && r.applied_steps_count === 1)).toBe(true);
  });
});
