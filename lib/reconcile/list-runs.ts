import { db } from "../db";
import { enumParam, paginate, parseListQuery, type TSortSpec } from "../pagination";

const RUN_SORTS = { startedAt: { field: "startedAt", type: "date" } } satisfies Record<string, TSortSpec>;
export const RUN_TRIGGERS = ["cron", "manual", "scheduler", "cli"] as const;
export const RUN_STATUSES = ["running", "succeeded", "failed", "refused"] as const;

/** One page of sync runs, newest first (GET /api/activity/sync-runs, /activity): `limit`, `cursor`, `dir`, `trigger`, `status`. */
export async function listSyncRuns(opts: { params?: URLSearchParams; defaultLimit?: number } = {}) {
  const params = opts.params ?? new URLSearchParams();
  const query = parseListQuery(params, { sorts: ["startedAt"], defaultSort: "startedAt", defaultDir: "desc", defaultLimit: opts.defaultLimit });
  const trigger = enumParam(params, "trigger", RUN_TRIGGERS);
  const status = enumParam(params, "status", RUN_STATUSES);
  const where = { ...(trigger ? { trigger } : {}), ...(status ? { status } : {}) };
  return paginate({ query, sorts: RUN_SORTS, where, findMany: (a) => db.syncRun.findMany(a), count: (a) => db.syncRun.count(a) });
}
