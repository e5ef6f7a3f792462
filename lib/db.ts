import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { type Prisma, PrismaClient } from "./generated/prisma/client";
import { PrismaClient as PgPrismaClient } from "./generated/prisma-pg/client";
import { env, envNumber } from "./env";

// One Prisma client per process. Next.js dev reloads modules, so it is kept on
// globalThis. Only lib/ imports this (STYLE habit 2).
const globalForDb = globalThis as unknown as { wharfDb?: PrismaClient };

function createClient(): PrismaClient {
  const e = env();
  if (e.dbProvider === "postgresql") {
    // The PostgreSQL client is generated from the same models (prisma/postgresql/schema.prisma,
    // checked identical by lib/db/pg-schema.test.ts), so its API is the SQLite client's.
    // A replica frozen inside a transaction (SIGSTOP, GC) would hold its row locks, among them a lease's
    // (lib/db/lease.ts: fenced), for as long as it is frozen: the server ends such a session after one
    // consumer-lease period (5 s at least: a busy replica's own transactions may idle that long), so a
    // takeover waits at most that long (issue 26).
    const idleTx = Math.max(5_000, envNumber("WHARF_CONSUMER_LEASE_MS", 15_000));
    const adapter = new PrismaPg({ connectionString: e.databaseUrl, max: 10, connectionTimeoutMillis: 10_000, idle_in_transaction_session_timeout: idleTx });
    return new PgPrismaClient({ adapter }) as unknown as PrismaClient;
  }
  const adapter = new PrismaBetterSqlite3({ url: e.databaseUrl, timeout: 10_000 });
  return new PrismaClient({ adapter });
}

/** Which SQL the raw statements speak. */
export const isPostgres = (): boolean => env().dbProvider === "postgresql";

/**
 * A raw statement written with `?` placeholders, in the placeholders of the
 * backend: PostgreSQL numbers them ($1, $2, ...). A `?` inside a quoted
 * literal or identifier is left alone. Identifiers in raw SQL are always
 * double-quoted: PostgreSQL folds unquoted ones to lower case.
 */
export function rawSql(sql: string): string {
  if (!isPostgres()) return sql;
  let n = 0;
  let quote: string | null = null;
  let out = "";
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === "?") {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

/**
 * A Prisma `contains` filter that ignores case on both backends, as the list
 * searches always did on SQLite (its LIKE ignores ASCII case; PostgreSQL's
 * needs `mode: "insensitive"`, which the SQLite client's types do not have).
 */
export const containsText = (q: string): { contains: string } => (isPostgres() ? ({ contains: q, mode: "insensitive" } as { contains: string }) : { contains: q });

/** Picks the statement text of the backend in use, for the few statements whose SQL differs beyond placeholders. */
export const dialect = <T>(forms: { sqlite: T; postgres: T }): T => (isPostgres() ? forms.postgres : forms.sqlite);

/** A date as a raw statement's parameter: Prisma's text form on SQLite, the Date itself on PostgreSQL. */
export const dbDate = (d: Date): string | Date => (isPostgres() ? d : sqliteDate(d));

export const db: PrismaClient = globalForDb.wharfDb ?? (globalForDb.wharfDb = createClient());

export type Db = PrismaClient;

// Raw statements (bulk paths): Prisma 7 plans every `in: [...]` list anew, so
// the hot bulk reads and writes are raw SQL of fixed text taking a chunk of
// values as one JSON parameter, read with SQLite's json_each or PostgreSQL's
// json_array_elements (the `jsonRows`/`jsonValues` fragments below).

/** `FROM <this>` yields one row `j` per element of a JSON array parameter (`j.value->>'field'` reads a field on both backends). */
export const jsonRows = (): string => (isPostgres() ? "json_array_elements(?::json) AS j(value)" : "json_each(?) AS j");
/** `FROM <this>` yields one row `j` per string of a JSON array parameter, as `j.value`. */
export const jsonTextRows = (): string => (isPostgres() ? "json_array_elements_text(?::json) AS j(value)" : "json_each(?) AS j");
/** `IN (<this>)`: the strings of a JSON array parameter. */
export const jsonValues = (): string => (isPostgres() ? "SELECT json_array_elements_text(?::json)" : "SELECT value FROM json_each(?)");

/** A date parameter's placeholder: PostgreSQL types it (a bare parameter in a SELECT list would be text); SQLite stores Prisma's text. */
export const dateParam = (): string => (isPostgres() ? "?::timestamp(3)" : "?");

/** Prisma stores DateTime in SQLite as ISO text with "+00:00"; raw statements that write or compare dates use exactly that format. */
export const sqliteDate = (d: Date) => d.toISOString().replace("Z", "+00:00");

/**
 * Rows per raw statement. Small on purpose: the Prisma driver adapter logs
 * every query with its arguments to @prisma/debug, which keeps the last 100
 * calls' arguments alive whether or not debugging is on; chunks of 5,000
 * rows pinned ~110 MB of JSON during a 100,000-record sync, 500 pin ~12 MB.
 */
export const SQL_CHUNK_ROWS = 500;
/**
 * Rows per commit of a bulk write. Under WAL every commit is an fsync: one per
 * 500-row statement made 100,000 upserts take 4.6 s instead of 2.2 s. Groups
 * of statements share one transaction, which holds the write lock for one
 * group (~100 ms), never for the whole list.
 */
export const SQL_COMMIT_ROWS = 5000;

/**
 * `list` in chunks of `size`, each as a JSON array for one `json_each(?)`
 * parameter, made one at a time as the loop asks (never all chunk strings at
 * once); `map` shapes each item as its chunk is made.
 */
export function* jsonChunks<T, U = T>(list: readonly T[], map?: (item: T) => U, size = SQL_CHUNK_ROWS): Generator<string> {
  for (let i = 0; i < list.length; i += size) {
    const slice = list.slice(i, i + size);
    yield JSON.stringify(map ? slice.map(map) : slice);
  }
}

/**
 * Runs `fn` in a transaction that, on PostgreSQL, first takes the
 * transaction-scoped lock `name`. Under READ COMMITTED two conditional
 * statements that each count rows the other one changes (two admins demoting
 * each other) would both pass; SQLite runs one writer at a time anyway.
 */
export async function serializedTx<T>(name: string, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return db.$transaction(async (tx) => {
    if (isPostgres()) await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext(${name}))`;
    return fn(tx);
  });
}

/** One statement per JSON chunk, SQL_COMMIT_ROWS rows of them per transaction. */
export async function writeChunks(chunks: Iterable<string>, statement: (json: string) => Prisma.PrismaPromise<number>): Promise<void> {
  let group: Prisma.PrismaPromise<number>[] = [];
  for (const json of chunks) {
    group.push(statement(json));
    if (group.length * SQL_CHUNK_ROWS >= SQL_COMMIT_ROWS) {
      await db.$transaction(group);
      group = [];
    }
  }
  if (group.length) await db.$transaction(group);
}
export type { Prisma } from "./generated/prisma/client";
