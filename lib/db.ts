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
export type { Prisma } from "./generated/prisma/client";
