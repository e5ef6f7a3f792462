import { db } from "../db";
import { runtimeFor } from "../servers/server-runtime";
import { cpuPercent } from "../docker/map";
import type { ContainerRuntime, ContainerStats } from "../docker/types";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { collectServiceUsage } from "./collect-service-usage";
import { BUCKET_S, downsample, RAW_KEEP_MS, RETENTION_MS, type TSampleRow } from "./downsample";

// One collector per installation: a fixed interval, one `stream: false`
// stats read per running instance (never a stream per viewer), the previous
// read kept in memory for the CPU delta.

// The engine answers a stats read at its next 1 s collection tick (one-shot only
// saves the second tick), and every waiting read is answered by the same tick:
// reads in parallel cost about one tick per batch, sequential ones one tick each.
const CONCURRENCY = 16;

export interface CollectorState {
  /** containerId → its previous read. */
  last: Map<string, ContainerStats>;
  lastCompactAt: number;
}

export function newCollectorState(): CollectorState {
  return { last: new Map(), lastCompactAt: 0 };
}

/** One pass: a sample per running instance; returns how many were written. */
export async function collectUsageOnce(opts: { state: CollectorState; runtime?: ContainerRuntime; now?: Date }): Promise<{ samples: number; failed: number }> {
  const now = opts.now ?? new Date();
  // Instances on a server recorded down are not asked (each read would wait out its deadline); the server monitor says when it is back.
  const down = (await db.server.findMany({ where: { status: "down" }, select: { id: true } })).map((s) => s.id);
  const running = await db.instance.findMany({
    where: { status: "running", containerId: { not: null }, ...(down.length ? { OR: [{ serverId: null }, { serverId: { notIn: down } }] } : {}) },
    select: { id: true, containerId: true, serverId: true },
  });
  const runtimes = new Map<string | null, Promise<ContainerRuntime>>();
  const runtimeOf = (serverId: string | null) => {
    if (opts.runtime) return Promise.resolve(opts.runtime);
    if (!runtimes.has(serverId)) runtimes.set(serverId, runtimeFor(serverId));
    return runtimes.get(serverId)!;
  };
  const rows: TSampleRow[] = [];
  let failed = 0;
  const seen = new Set<string>();
  for (let i = 0; i < running.length; i += CONCURRENCY) {
    await Promise.all(
      running.slice(i, i + CONCURRENCY).map(async (inst) => {
        const id = inst.containerId!;
        seen.add(id);
        try {
          const s = await (await runtimeOf(inst.serverId)).containerStats(id);
          if (!s) return;
          rows.push({
            instanceId: inst.id,
            at: now,
            resolution: 15,
            cpuPercent: cpuPercent(opts.state.last.get(id), s),
            memoryBytes: s.memoryBytes,
            memoryLimitBytes: s.memoryLimitBytes,
            netRx: s.netRx,
            netTx: s.netTx,
            blockRead: s.blockRead,
            blockWrite: s.blockWrite,
          });
          opts.state.last.set(id, s);
        } catch (err) {
          failed++;
          logger.warn({ op: "usage", consumer: `instance:${inst.id}`, err: errorMessage(err) }, "stats read failed");
        }
      }),
    );
  }
  // Instances that are Swarm services: each task's container from its node's engine (issue 28).
  const services = await collectServiceUsage({ last: opts.state.last, now, concurrency: CONCURRENCY });
  rows.push(...services.rows);
  failed += services.failed;
  for (const id of services.seen) seen.add(id);
  // Forget containers that no longer serve (redeployed, stopped, removed).
  for (const id of opts.state.last.keys()) if (!seen.has(id)) opts.state.last.delete(id);
  if (rows.length) await db.usageSample.createMany({ data: rows });
  if (now.getTime() - opts.state.lastCompactAt >= BUCKET_S * 1000) {
    await compactUsage(now);
    opts.state.lastCompactAt = now.getTime();
  }
  return { samples: rows.length, failed };
}

/**
 * Downsamples full-resolution rows older than an hour into BUCKET_S averages
 * and drops everything older than 24 h. Only whole buckets are compacted, so
 * a bucket is never averaged twice.
 */
export async function compactUsage(now: Date): Promise<void> {
  await db.usageSample.deleteMany({ where: { at: { lt: new Date(now.getTime() - RETENTION_MS) } } });
  const bucketMs = BUCKET_S * 1000;
  const cutoff = new Date(Math.floor((now.getTime() - RAW_KEEP_MS) / bucketMs) * bucketMs);
  const old = await db.usageSample.findMany({ where: { resolution: { lt: BUCKET_S }, at: { lt: cutoff } } });
  if (!old.length) return;
  await db.$transaction([
    db.usageSample.deleteMany({ where: { id: { in: old.map((r) => r.id) } } }),
    db.usageSample.createMany({ data: downsample(old) }),
  ]);
}
