import { db } from "../db";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { pruneThrottle } from "../auth/throttle";
import { pruneNotifications } from "../outbox/prune-outbox";
import { getSettings } from "../settings/get-settings";
import type { TSettings } from "../settings/schemas";

export interface PruneReport {
  auditEvents: number;
  syncRuns: number;
  deployments: number;
  throttleRows: number;
  notifications: number;
  durationMs: number;
}

/**
 * Retention of history (SPEC §3, §12): keeps the history tables bounded so
 * that no flood (an unauthenticated one fills the audit log with failed
 * sign-ins) grows the database without end. Each step is one set-based
 * statement, using the tables' time indexes. Rows still in progress (a
 * running sync or deployment) are never pruned.
 */
export async function pruneHistory(opts: { now?: Date; retention?: TSettings["retention"] } = {}): Promise<PruneReport> {
  const started = Date.now();
  const now = opts.now ?? new Date();
  const r = opts.retention ?? (await getSettings()).retention;
  const cutoff = new Date(now.getTime() - r.days * 86_400_000);

  const aged = await db.auditEvent.deleteMany({ where: { createdAt: { lt: cutoff } } });
  // Past the count cap: everything older than the newest maxAuditEvents rows.
  const capped = await db.$executeRaw`
    DELETE FROM "AuditEvent" WHERE "createdAt" < (SELECT "createdAt" FROM "AuditEvent" ORDER BY "createdAt" DESC LIMIT 1 OFFSET ${r.maxAuditEvents - 1})`;
  const runs = await db.syncRun.deleteMany({ where: { startedAt: { lt: cutoff }, status: { not: "running" } } });
  // The newest N of each instance stay (the rollback target's among them), and
  // the newest M successful ones whatever their age in the list: those are what
  // "Roll back to this" offers. Steps go with their deployment (ON DELETE CASCADE).
  const deployments = await db.$executeRaw`
    DELETE FROM "Deployment" WHERE "status" <> 'running' AND "id" IN (
      SELECT "id" FROM (SELECT "id", ROW_NUMBER() OVER (PARTITION BY "instanceId" ORDER BY "startedAt" DESC, "id" DESC) AS n FROM "Deployment") AS ranked WHERE n > ${r.deploymentsPerInstance})
      AND "id" NOT IN (
      SELECT "id" FROM (SELECT "id", ROW_NUMBER() OVER (PARTITION BY "instanceId" ORDER BY "startedAt" DESC, "id" DESC) AS n FROM "Deployment" WHERE "status" = 'succeeded') AS kept WHERE n <= ${r.successfulDeploymentsPerInstance})`;
  const throttleRows = await pruneThrottle(now);
  const notifications = await pruneNotifications(cutoff);
  return { auditEvents: aged.count + capped, syncRuns: runs.count, deployments, throttleRows, notifications, durationMs: Date.now() - started };
}

/** For the periodic jobs: prunes and logs; a failure is logged as an error, never thrown into the job it rides on. */
export async function pruneHistoryQuietly(op: string): Promise<PruneReport | null> {
  try {
    const report = await pruneHistory();
    logger.info({ op, step: "retention", ...report }, "history pruned");
    return report;
  } catch (err) {
    logger.error({ op, step: "retention", err: errorMessage(err) }, "pruning history failed");
    return null;
  }
}
