import { db } from "../db";
import { mapPage, enumParam, paginate, parseListQuery, type TSortSpec } from "../pagination";
import type { SyncReport } from "./report";
import { summarize } from "./run-sync";

const RUN_SORTS = { startedAt: { field: "startedAt", type: "date" } } satisfies Record<string, TSortSpec>;
export const RUN_TRIGGERS = ["cron", "manual", "scheduler", "cli"] as const;
export const RUN_STATUSES = ["running", "succeeded", "failed", "refused"] as const;

/**
 * One page of sync runs, newest first (GET /api/activity/sync-runs,
 * /activity): `limit`, `cursor`, `dir`, `trigger`, `status`. Each run comes
 * with its one-line `summary`, never its report: a report lists every
 * record, so a page of reports would grow with the zone.
 */
export async function listSyncRuns(opts: { params?: URLSearchParams; defaultLimit?: number } = {}) {
  const params = opts.params ?? new URLSearchParams();
  const query = parseListQuery(params, { sorts: ["startedAt"], defaultSort: "startedAt", defaultDir: "desc", defaultLimit: opts.defaultLimit });
  const trigger = enumParam(params, "trigger", RUN_TRIGGERS);
  const status = enumParam(params, "status", RUN_STATUSES);
  const where = { ...(trigger ? { trigger } : {}), ...(status ? { status } : {}) };
  const page = await paginate({ query, sorts: RUN_SORTS, where, findMany: (a) => db.syncRun.findMany({ ...a, omit: { report: true } }), count: (a) => db.syncRun.count(a) });
  // Runs stored before summaries existed: summarize their reports, for this page's few only.
  const old = page.items.filter((r) => r.summary === null && r.finishedAt !== null).map((r) => r.id);
  const reports = old.length ? await db.syncRun.findMany({ where: { id: { in: old } }, select: { id: true, report: true } }) : [];
  const summaries = new Map(reports.map((r) => [r.id, oldSummary(r.report)]));
  return mapPage(page, (r) => ({ ...r, summary: r.summary ?? summaries.get(r.id) ?? null }));
}

function oldSummary(report: string | null): string | null {
  if (!report) return null;
  try {
    const r = JSON.parse(report) as SyncReport;
    return summarize({ ...r, containers: r.containers ?? { restarted: 0, failed: 0 }, routes: r.routes ?? { repaired: 0, failed: 0 } });
  } catch {
    return null;
  }
}
