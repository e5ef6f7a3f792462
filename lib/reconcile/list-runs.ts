import { db } from "../db";

export async function listSyncRuns(opts: { limit?: number } = {}) {
  return db.syncRun.findMany({ orderBy: { startedAt: "desc" }, take: Math.min(opts.limit ?? 50, 200) });
}
