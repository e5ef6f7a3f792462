import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";
import { describe, expect, it } from "vitest";
import { migrateDatabase } from "./migrate";

// Migrations are written by several branches at once and some by hand (the
// WebAssembly engine's `migrations → schema` diff fails on this machine with
// P3006), so nothing else proves that the committed migrations build the
// database schema.prisma describes. This builds both on empty SQLite files,
// the schema through the engine's `empty → schema` diff, and compares every
// column, foreign key and index as SQLite reports them.

const schemaPath = path.resolve("prisma/schema.prisma");

async function schemaSql(dbFile: string): Promise<string> {
  const schema = readFileSync(schemaPath, "utf8");
  const require = createRequire(import.meta.url);
  const wasmPath = path.join(path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg")), "schema_engine_bg.wasm");
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), { "./schema_engine_bg.js": bg as never });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports as unknown as { __wbindgen_start: () => void }).__wbindgen_start();
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaBetterSqlite3({ url: `file:${dbFile}` }) as never);
  const engine = await bg.SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, () => {}, adapter);
  const res = (await engine.diff({
    from: { tag: "empty" },
    to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schema }] },
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  } as never)) as { stdout?: string };
  return res.stdout ?? "";
}

type Row = Record<string, unknown>;
function shape(db: Database.Database): string[] {
  const out: string[] = [];
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'`).all() as { name: string }[];
  for (const { name } of tables) {
    for (const c of db.prepare(`PRAGMA table_info("${name}")`).all() as Row[]) out.push(`${name}.${c.name} ${c.type} notnull=${c.notnull} default=${c.dflt_value} pk=${c.pk}`);
    for (const f of db.prepare(`PRAGMA foreign_key_list("${name}")`).all() as Row[]) out.push(`${name} fk ${f.from} -> ${f.table}.${f.to} on delete ${f.on_delete}`);
    for (const i of db.prepare(`PRAGMA index_list("${name}")`).all() as Row[]) {
      if (String(i.name).startsWith("sqlite_autoindex")) continue;
      const cols = (db.prepare(`PRAGMA index_info("${i.name}")`).all() as Row[]).map((c) => c.name).join(",");
      out.push(`${name} index ${i.name}(${cols}) unique=${i.unique}`);
    }
  }
  return out.sort();
}

describe("committed migrations", () => {
  it("build exactly the schema of prisma/schema.prisma", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wharf-schema-drift-"));
    const fromSchema = new Database(path.join(dir, "schema.db"));
    fromSchema.exec(await schemaSql(path.join(dir, "engine.db")));
    migrateDatabase({ databaseUrl: `file:${path.join(dir, "migrated.db")}`, migrationsDir: path.resolve("prisma/migrations") });
    const migrated = new Database(path.join(dir, "migrated.db"));
    const expected = shape(fromSchema);
    expect(expected.length).toBeGreaterThan(50);
    expect(shape(migrated)).toEqual(expected);
  });
});
