import { db } from "../db";
import { AppError } from "../errors";
import { findInstanceOrThrow } from "../db/find-instance";
import { RETENTION_MS } from "../usage/downsample";

function sample(r: { at: Date; cpuPercent: number | null; memoryBytes: number; memoryLimitBytes: number; netRx: number; netTx: number; blockRead: number; blockWrite: number; resolution: number }) {
  return {
    at: r.at.toISOString(),
    cpuPercent: r.cpuPercent === null ? null : Math.round(r.cpuPercent * 100) / 100,
    memoryBytes: r.memoryBytes,
    memoryLimitBytes: r.memoryLimitBytes,
    netRx: r.netRx,
    netTx: r.netTx,
    blockRead: r.blockRead,
    blockWrite: r.blockWrite,
    resolutionSeconds: r.resolution,
  };
}
export type TUsageSample = ReturnType<typeof sample>;

/** How much of a Swarm service the collector's last pass read (issue 28): tasks on a node whose engine Wharf does not reach are not in the samples. */
export interface TUsageCoverage {
  at: string;
  tasksRead: number;
  tasksTotal: number;
  unreadNodes: Array<{ node: string; tasks: number; reason: "not added" | "down" }>;
}

async function coverageOf(instanceId: string): Promise<TUsageCoverage | null> {
  const row = await db.usageCoverage.findUnique({ where: { instanceId } });
  if (!row) return null;
  const unread = JSON.parse(row.unreadNodes) as Array<{ node: string; tasks: number; reason: "not added" | "down" }>;
  return { at: row.at.toISOString(), tasksRead: row.tasksRead, tasksTotal: row.tasksTotal, unreadNodes: unread.map((u) => ({ node: u.node, tasks: u.tasks, reason: u.reason })) };
}

/**
 * GET /api/instances/{id}/usage?since=: oldest first; `since` is an ISO time or epoch ms, default the last 24 h.
 * `coverage`: for an instance on a Swarm cluster, which of its tasks the samples cover (null otherwise).
 */
export async function getUsage(opts: { instanceId: string; since?: string | null }): Promise<{ samples: TUsageSample[]; coverage: TUsageCoverage | null }> {
  await findInstanceOrThrow(opts.instanceId);
  let since = new Date(Date.now() - RETENTION_MS);
  if (opts.since) {
    const d = /^\d+$/.test(opts.since) ? new Date(Number(opts.since)) : new Date(opts.since);
    if (Number.isNaN(d.getTime())) throw new AppError("VALIDATION", "since: must be an ISO 8601 time or epoch milliseconds", { field: "since" });
    since = d;
  }
  const [rows, coverage] = await Promise.all([db.usageSample.findMany({ where: { instanceId: opts.instanceId, at: { gte: since } }, orderBy: { at: "asc" }, take: 5000 }), coverageOf(opts.instanceId)]);
  return { samples: rows.map(sample), coverage };
}

/** The newest sample of each instance, for the list's current values (one query, not one per row). */
export async function latestUsage(instanceIds: string[]): Promise<Map<string, TUsageSample>> {
  if (!instanceIds.length) return new Map();
  const recent = await db.usageSample.findMany({
    where: { instanceId: { in: instanceIds }, at: { gte: new Date(Date.now() - 5 * 60_000) } },
    orderBy: { at: "desc" },
  });
  const out = new Map<string, TUsageSample>();
  for (const r of recent) if (!out.has(r.instanceId)) out.set(r.instanceId, sample(r));
  return out;
}
