import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { env } from "../env";
import { INSTALLATION_ID_RE } from "../naming";
import { listMigrations, migratePostgres, sqliteFilePath, isPostgresUrl } from "./migrate";

// `wharf db migrate-to-postgres` (issue 26): copies every table of a SQLite
// Wharf database into an empty PostgreSQL database brought to the same
// migration level, then verifies it. The SQLite file is opened read-only and
// read in one snapshot (a read transaction), a batch of rows at a time; the
// copy is one PostgreSQL transaction, so a failure leaves the target empty.

export class MigrateToPostgresError extends Error {}

export interface TableReport {
  table: string;
  /** Rows read from SQLite and rows counted in PostgreSQL after the copy. */
  source: number;
  target: number;
  /** md5 of the primary keys in key order, on each side. */
  sourceKeys: string;
  targetKeys: string;
  ok: boolean;
}

export interface MigrateToPostgresResult {
  tables: TableReport[];
  migrations: number;
  /** The installation id carried over from the data folder into Setting `installation-id`, if it was there. */
  installationId: string | null;
  ms: number;
}

export interface MigrateToPostgresOptions {
  /** `file:` URL of the SQLite database. */
  from: string;
  /** `postgres://` URL of the target. */
  to: string;
  sqliteMigrationsDir?: string;
  pgMigrationsDir?: string;
  /** Rows per INSERT (one JSON parameter each). */
  batchRows?: number;
  /** Progress lines (the CLI prints them). */
  log?: (line: string) => void;
}

/** A URL fit to print: the password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
  }
}

const BOOKKEEPING = "_prisma_migrations";
const BATCH_BYTES = 8 * 1024 * 1024;
const q = (ident: string) => `"${ident.replaceAll('"', '""')}"`;

interface Column {
  name: string;
  /** PostgreSQL's data_type from information_schema. */
  pgType: string;
}

interface Table {
  name: string;
  columns: Column[];
  keys: string[];
  /** The column backed by a sequence (autoincrement), if any. */
  serial: string | null;
}

/** Tables in an order where every table comes after the tables its foreign keys point at. */
function foreignKeyOrder(src: Database.Database, names: string[]): string[] {
  const deps = new Map(names.map((n) => [n, (src.prepare(`PRAGMA foreign_key_list(${q(n)})`).all() as { table: string }[]).map((f) => f.table).filter((t) => t !== n)]));
  const done: string[] = [];
  const visiting = new Set<string>();
  const visit = (n: string) => {
    if (done.includes(n)) return;
    if (visiting.has(n)) throw new MigrateToPostgresError(`foreign keys form a cycle through ${n}`);
    visiting.add(n);
    for (const d of deps.get(n) ?? []) if (deps.has(d)) visit(d);
    visiting.delete(n);
    done.push(n);
  };
  for (const n of [...names].sort()) visit(n);
  return done;
}

/** SQLite (as Prisma stores it) → a JSON value json_populate_recordset reads into the PostgreSQL column type. */
export function toPgJson(value: unknown, pgType: string): unknown {
  if (value === null || value === undefined) return null;
  if (pgType === "boolean") return value === 1 || value === 1n || value === true || value === "1" || value === "true";
  if (pgType.startsWith("timestamp") || pgType === "date") return toTimestamp(value, pgType === "timestamp with time zone");
  if (pgType === "bytea") return `\\x${Buffer.from(value as Uint8Array).toString("hex")}`;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value); // NaN / ±Infinity as PostgreSQL's words
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  return value;
}

/**
 * Prisma's SQLite DateTime is ISO text ("…T…+00:00" or "…Z"), older rows and
 * CURRENT_TIMESTAMP defaults are "YYYY-MM-DD HH:MM:SS" in UTC, and an integer
 * is milliseconds since the epoch. The result is UTC text without a zone for
 * `timestamp` (what Prisma's PostgreSQL client writes), with one for `timestamptz`.
 */
function toTimestamp(value: unknown, withZone: boolean): string {
  let d: Date;
  if (typeof value === "number" || typeof value === "bigint") d = new Date(Number(value));
  else {
    const s = String(value).trim();
    if (/^-?\d+$/.test(s)) d = new Date(Number(s));
    else d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s.replace(" ", "T") : `${s.replace(" ", "T")}Z`);
  }
  if (Number.isNaN(d.getTime())) throw new MigrateToPostgresError(`not a date: ${String(value)}`);
  const iso = d.toISOString();
  return withZone ? iso : iso.slice(0, -1);
}

/** The key of a row as PostgreSQL's `::text` prints it, for the checksum. */
function keyText(value: unknown): string {
  return typeof value === "bigint" ? value.toString() : String(value);
}

export async function migrateToPostgres(opts: MigrateToPostgresOptions): Promise<MigrateToPostgresResult> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  // The folders the server applies (lib/env.ts): the image sets both variables.
  const sqliteDir = path.resolve(opts.sqliteMigrationsDir ?? env().migrationFolders.sqlite);
  const pgDir = path.resolve(opts.pgMigrationsDir ?? env().migrationFolders.postgresql);
  if (!isPostgresUrl(opts.to)) throw new MigrateToPostgresError(`the target must be a postgres:// or postgresql:// URL, got ${redactUrl(opts.to)}`);
  const target = redactUrl(opts.to);
  const file = sqliteFilePath(opts.from);
  if (!existsSync(file)) throw new MigrateToPostgresError(`no SQLite database at ${file}`);

  const src = new Database(file, { readonly: true, fileMustExist: true });
  let client: pg.Client | undefined;
  try {
    src.defaultSafeIntegers(true); // integers as BigInt: nothing above 2^53 is rounded
    checkSourceLevel(src, file, sqliteDir);
    client = await connectTarget(opts.to, target);
    const names = (src.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ?`).all(BOOKKEEPING) as { name: string }[]).map((r) => r.name);
    const pgApplied = await migrateTarget(client, names, { url: opts.to, target, pgDir });
    const tables = await describeTables(src, client, foreignKeyOrder(src, names));
    const installationId = readInstallationId(path.dirname(file));
    const reports = await copyAll({ src, client, tables, installationId, url: opts.to, batchRows: opts.batchRows ?? 1000, log });
    return { tables: reports, migrations: pgApplied, installationId, ms: Date.now() - started };
  } finally {
    src.close();
    await client?.end().catch(() => {});
  }
}

/** The source's migration level must be the code's: the PostgreSQL folder builds the code's tables. */
function checkSourceLevel(src: Database.Database, file: string, sqliteDir: string): void {
  const hasBookkeeping = src.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(BOOKKEEPING);
  if (!hasBookkeeping) throw new MigrateToPostgresError(`${file} is not a Wharf database (it has no ${BOOKKEEPING} table)`);
  const applied = (src.prepare(`SELECT migration_name FROM ${q(BOOKKEEPING)} WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`).all() as { migration_name: string }[]).map((r) => r.migration_name);
  const code = listMigrations(sqliteDir).map((m) => m.name);
  const missing = code.filter((n) => !applied.includes(n));
  const unknown = applied.filter((n) => !code.includes(n));
  if (missing.length || unknown.length) {
    throw new MigrateToPostgresError(
      `the SQLite database's migrations differ from this version of Wharf's: ` +
        (missing.length ? `not applied there: ${missing.join(", ")} (start this version of Wharf on it once, or run \`npm run migrate\`, then retry)` : "") +
        (missing.length && unknown.length ? "; " : "") +
        (unknown.length ? `unknown to this version: ${unknown.join(", ")} (use the version of Wharf that applied them)` : ""),
    );
  }
}

async function connectTarget(url: string, target: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {}); // a dropped connection fails the query in flight; no unhandled event
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw new MigrateToPostgresError(`cannot connect to PostgreSQL at ${target}: ${scrub((err as Error).message, url)}`);
  }
  return client;
}

/** Brings the (empty) target to the code's PostgreSQL migration level; the number of migrations it has. */
async function migrateTarget(client: pg.Client, names: string[], opts: { url: string; target: string; pgDir: string }): Promise<number> {
  await refuseIfNotEmpty(client, names, opts.target);
  let pgApplied: number;
  try {
    const r = await migratePostgres({ databaseUrl: opts.url, migrationsDir: opts.pgDir });
    pgApplied = r.applied.length + r.alreadyApplied;
  } catch (err) {
    throw new MigrateToPostgresError(`migrating ${opts.target} failed: ${scrub((err as Error).message, opts.url)}`);
  }
  const pgLevel = (await client.query<{ migration_name: string }>(`SELECT migration_name FROM ${q(BOOKKEEPING)} WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`)).rows.map((r) => r.migration_name);
  const pgCode = listMigrations(opts.pgDir).map((m) => m.name);
  if (pgLevel.join() !== pgCode.join()) throw new MigrateToPostgresError(`${opts.target} has migrations this version of Wharf does not know: ${pgLevel.filter((n) => !pgCode.includes(n)).join(", ")}`);
  await refuseIfNotEmpty(client, names, opts.target); // a replica may have started on it meanwhile
  return pgApplied;
}

/** Every table in one PostgreSQL transaction, verified before the commit; nothing is committed on any failure. */
async function copyAll(o: { src: Database.Database; client: pg.Client; tables: Table[]; installationId: string | null; url: string; batchRows: number; log: (line: string) => void }): Promise<TableReport[]> {
  const { src, client } = o;
  const reports: TableReport[] = [];
  src.exec("BEGIN"); // one read snapshot for every table, even if Wharf still writes to the file
  await client.query("BEGIN");
  try {
    for (const t of o.tables) {
      const t0 = Date.now();
      const rows = await copyTable(src, client, t, o.batchRows);
      reports.push(await verifyTable(src, client, t));
      o.log(`${t.name}: ${rows} row(s) in ${Date.now() - t0} ms`);
    }
    if (o.installationId) {
      // On PostgreSQL the installation id lives in the database (lib/secrets.ts): carry the data folder's over,
      // or the first replica would make a new one and no longer recognise its own DNS records.
      await client.query(`INSERT INTO "Setting" ("key", "value", "updatedAt") VALUES ('installation-id', $1, now()) ON CONFLICT ("key") DO NOTHING`, [o.installationId]);
    }
    const bad = reports.filter((r) => !r.ok);
    if (bad.length) throw new MigrateToPostgresError(`verification failed for ${bad.map((r) => `${r.table} (${r.source} rows read, ${r.target} in PostgreSQL)`).join(", ")}; nothing was committed`);
    await client.query("COMMIT");
    return reports;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    if (err instanceof MigrateToPostgresError) throw err;
    throw new MigrateToPostgresError(`copy failed, nothing was committed: ${scrub((err as Error).message, o.url)}`);
  } finally {
    src.exec("COMMIT");
  }
}

/** One table, in batches bounded in rows and in text; the number of rows copied. */
async function copyTable(src: Database.Database, client: pg.Client, t: Table, batchRows: number): Promise<number> {
  const cols = t.columns.map((c) => q(c.name)).join(", ");
  const insert = `INSERT INTO ${q(t.name)} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${q(t.name)}, $1::json)`;
  let batch: Record<string, unknown>[] = [];
  let bytes = 0;
  let rows = 0;
  const flush = async () => {
    if (!batch.length) return;
    await client.query(insert, [JSON.stringify(batch)]);
    rows += batch.length;
    batch = [];
    bytes = 0;
  };
  // iterate() steps through the table: one batch of rows in memory, never the table.
  for (const row of src.prepare(`SELECT ${cols} FROM ${q(t.name)} ORDER BY rowid`).iterate() as Iterable<Record<string, unknown>>) {
    const out: Record<string, unknown> = {};
    for (const c of t.columns) {
      const v = toPgJson(row[c.name], c.pgType);
      out[c.name] = v;
      bytes += typeof v === "string" ? v.length : 8;
    }
    batch.push(out);
    // A batch is bounded in rows and in text (a sync run's report can be megabytes).
    if (batch.length >= batchRows || bytes >= BATCH_BYTES) await flush();
  }
  await flush();
  if (t.serial) {
    // The next autoincrement id comes after the copied ones (setval's false: nextval returns exactly the value).
    await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(${q(t.serial)}) FROM ${q(t.name)}), 0) + 1, false)`, [q(t.name), t.serial]);
  }
  return rows;
}

/** An error message never carries the target's password. */
function scrub(message: string, url: string): string {
  try {
    const pw = decodeURIComponent(new URL(url).password);
    return pw ? message.replaceAll(pw, "***") : message;
  } catch {
    return message;
  }
}

async function refuseIfNotEmpty(client: pg.Client, names: string[], target: string): Promise<void> {
  const { rows } = await client.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ANY($1)`, [names]);
  const filled: string[] = [];
  for (const { table_name } of rows) {
    const r = await client.query(`SELECT 1 FROM ${q(table_name)} LIMIT 1`);
    if (r.rowCount) filled.push(table_name);
  }
  if (filled.length) {
    throw new MigrateToPostgresError(`${target} already holds Wharf data (rows in ${filled.sort().join(", ")}); migrate into an empty database`);
  }
}

async function describeTables(src: Database.Database, client: pg.Client, order: string[]): Promise<Table[]> {
  const out: Table[] = [];
  for (const name of order) {
    const sqliteCols = src.prepare(`PRAGMA table_info(${q(name)})`).all() as { name: string; pk: number | bigint }[];
    const { rows } = await client.query<{ column_name: string; data_type: string; column_default: string | null }>(
      `SELECT column_name, data_type, column_default FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
      [name],
    );
    const pgCols = new Map(rows.map((r) => [r.column_name, r]));
    const onlySqlite = sqliteCols.filter((c) => !pgCols.has(c.name)).map((c) => c.name);
    const onlyPg = rows.filter((r) => !sqliteCols.some((c) => c.name === r.column_name)).map((r) => r.column_name);
    if (!rows.length || onlySqlite.length || onlyPg.length) {
      throw new MigrateToPostgresError(
        `table ${name} differs between the backends` + (rows.length ? ` (only in SQLite: ${onlySqlite.join(", ") || "-"}; only in PostgreSQL: ${onlyPg.join(", ") || "-"})` : " (missing in PostgreSQL)"),
      );
    }
    const keys = sqliteCols.filter((c) => Number(c.pk) > 0).sort((a, b) => Number(a.pk) - Number(b.pk)).map((c) => c.name);
    const serial = rows.find((r) => r.column_default?.startsWith("nextval("))?.column_name ?? null;
    out.push({ name, columns: sqliteCols.map((c) => ({ name: c.name, pgType: pgCols.get(c.name)!.data_type })), keys: keys.length ? keys : ["rowid"], serial });
  }
  return out;
}

/** Row counts and an md5 over the primary keys in key order, on both sides (the target is C-collated: the same order as SQLite's). */
async function verifyTable(src: Database.Database, client: pg.Client, t: Table): Promise<TableReport> {
  const keys = t.keys.filter((k) => k !== "rowid");
  const source = Number((src.prepare(`SELECT count(*) AS n FROM ${q(t.name)}`).get() as { n: bigint }).n);
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(t.name)}`);
  const target = Number(rows[0].n);
  let sourceKeys = "-";
  let targetKeys = "-";
  if (keys.length) {
    const order = keys.map(q).join(", ");
    const hash = createHash("md5");
    let first = true;
    for (const row of src.prepare(`SELECT ${order} FROM ${q(t.name)} ORDER BY ${order}`).iterate() as Iterable<Record<string, unknown>>) {
      hash.update(`${first ? "" : "\n"}${keys.map((k) => keyText(row[k])).join("\t")}`);
      first = false;
    }
    sourceKeys = source ? hash.digest("hex") : "-";
    const expr = keys.length === 1 ? `${q(keys[0])}::text` : `concat_ws(E'\\t', ${keys.map((k) => `${q(k)}::text`).join(", ")})`;
    const r = await client.query<{ h: string | null }>(`SELECT md5(string_agg(${expr}, E'\\n' ORDER BY ${order})) AS h FROM ${q(t.name)}`);
    targetKeys = r.rows[0].h ?? "-";
  }
  return { table: t.name, source, target, sourceKeys, targetKeys, ok: source === target && sourceKeys === targetKeys };
}

function readInstallationId(dataDir: string): string | null {
  const fromEnv = env().WHARF_INSTALLATION_ID;
  if (fromEnv) return null; // the environment wins on every backend; nothing to carry
  const file = path.join(dataDir, "installation-id");
  if (!existsSync(file)) return null;
  const id = readFileSync(file, "utf8").trim();
  return INSTALLATION_ID_RE.test(id) ? id : null;
}

/** The report the CLI prints: one line per table, then the totals. */
export function formatReport(r: MigrateToPostgresResult): string[] {
  const w = Math.max(5, ...r.tables.map((t) => t.table.length));
  const lines = [`${"table".padEnd(w)}  ${"SQLite".padStart(8)}  ${"PostgreSQL".padStart(10)}  keys`];
  for (const t of r.tables) {
    lines.push(`${t.table.padEnd(w)}  ${String(t.source).padStart(8)}  ${String(t.target).padStart(10)}  ${t.ok ? (t.sourceKeys === "-" ? "ok (empty)" : `ok md5 ${t.sourceKeys.slice(0, 12)}`) : "MISMATCH"}`);
  }
  const total = r.tables.reduce((n, t) => n + t.source, 0);
  lines.push(`${r.tables.length} tables, ${total} rows copied and verified in ${r.ms} ms (${r.migrations} migrations on the target)`);
  if (r.installationId) lines.push(`installation id ${r.installationId} carried over into the database`);
  return lines;
}
