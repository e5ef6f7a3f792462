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

/** GET /api/instances/{id}/usage?since=: oldest first; `since` is an ISO time or epoch ms, default the last 24 h. */
export async function getUsage(opts: { instanceId: string; since?: string | null }): Promise<{ samples: TUsageSample[] }> {
  await findInstanceOrThrow(opts.instanceId);
  let since = new Date(Date.now() - RETENTION_MS);
  if (opts.since) {
    const d = /^\d+$/.test(opts.since) ? new Date(Number(opts.since)) : new Date(opts.since);
    if (Number.isNaN(d.getTime())) throw new AppError("VALIDATION", "since: must be an ISO 8601 time or epoch milliseconds", { field: "since" });
    since = d;
  }
  const rows = await db.usageSample.findMany({ where: { instanceId: opts.instanceId, at: { gte: since } }, orderBy: { at: "asc" }, take: 5000 });
  return { samples: rows.map(sample) };
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
