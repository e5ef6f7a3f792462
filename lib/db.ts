import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/prisma/client";
import { env } from "./env";

// One Prisma client per process. Next.js dev reloads modules, so it is kept on
// globalThis. Only lib/ imports this (STYLE habit 2).
const globalForDb = globalThis as unknown as { wharfDb?: PrismaClient };

function createClient(): PrismaClient {
  const adapter = new PrismaBetterSqlite3({ url: env().databaseUrl, timeout: 10_000 });
  return new PrismaClient({ adapter });
}

export const db: PrismaClient = globalForDb.wharfDb ?? (globalForDb.wharfDb = createClient());

export type Db = PrismaClient;

// Raw statements (bulk paths): Prisma 7 plans every `in: [...]` list anew, so
// the hot bulk reads and writes are raw SQL of fixed text taking a chunk of
// values as one JSON parameter, read with SQLite's json_each.

/** Prisma stores DateTime in SQLite as ISO text with "+00:00"; raw statements that write or compare dates use exactly that format. */
export const sqliteDate = (d: Date) => d.toISOString().replace("Z", "+00:00");

/** `list` in chunks of `size`, each as a JSON array for one `json_each(?)` parameter. */
export function jsonChunks<T>(list: readonly T[], size = 5000): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i += size) out.push(JSON.stringify(list.slice(i, i + size)));
  return out;
}
export type { Prisma } from "./generated/prisma/client";
