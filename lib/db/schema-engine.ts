// The Prisma schema engine's WebAssembly build, for the offline tools that diff
// schemas (npm run migration:new, the drift tests). The Prisma CLI's native
// engine is a download these machines cannot reach. Not used by the server.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";

let instantiated: Promise<void> | undefined;

function instantiate(): Promise<void> {
  instantiated ??= (async () => {
    const require = createRequire(import.meta.url);
    // The .wasm file is not in the package's exports map: find it beside the JS glue.
    const wasmPath = path.join(path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg")), "schema_engine_bg.wasm");
    const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), { "./schema_engine_bg.js": bg as never });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports as unknown as { __wbindgen_start: () => void }).__wbindgen_start();
  })();
  return instantiated;
}

export type MigrationDirs = {
  baseDir: string;
  lockfile: { path: string; content: string | null };
  shadowDbInitScript: string;
  migrationDirectories: { path: string; migrationFile: { path: string; content: { tag: "ok"; value: string } } }[];
};

export type DiffTarget =
  | { tag: "empty" }
  | { tag: "schemaDatamodel"; files: { path: string; content: string }[] }
  | ({ tag: "migrations" } & MigrationDirs);

export interface Engine {
  /** The SQL that takes `from` to `to` ("" when they match). */
  diff(from: DiffTarget, to: DiffTarget): Promise<string>;
  /** The datamodel of the connected database. */
  introspect(): Promise<string>;
  dispose(): Promise<void>;
}

/**
 * An engine for `schemaPath`/`schema`, connected to `databaseUrl` (a SQLite
 * file or a PostgreSQL database the engine may use as its shadow database).
 */
export async function schemaEngine(opts: { schemaPath: string; schema: string; databaseUrl: string }): Promise<Engine> {
  await instantiate();
  const pg = /^postgres(ql)?:/.test(opts.databaseUrl);
  const factory = pg ? new PrismaPg({ connectionString: opts.databaseUrl }) : new PrismaBetterSqlite3({ url: opts.databaseUrl });
  const adapter = bindMigrationAwareSqlAdapterFactory(factory as never);
  const engine = await bg.SchemaEngine.new({ datamodels: [[opts.schemaPath, opts.schema]] }, () => {}, adapter);
  return {
    async diff(from, to) {
      const res = (await engine.diff({ from, to, script: true, exitCode: null, filters: { externalTables: [], externalEnums: [] } } as never)) as { stdout?: string };
      const sql = (res.stdout ?? "").trim();
      return /^-- This is an empty migration/.test(sql) ? "" : sql;
    },
    async introspect() {
      const res = (await engine.introspect({ schema: { files: [{ path: opts.schemaPath, content: opts.schema }] }, baseDirectoryPath: process.cwd(), force: true, compositeTypeDepth: 0, namespaces: null } as never)) as { schema: { files: { content: string }[] } };
      return res.schema.files[0].content;
    },
    async dispose() {
      (engine as unknown as { free?: () => void }).free?.();
    },
  };
}
