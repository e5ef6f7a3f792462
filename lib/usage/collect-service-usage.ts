import { db } from "../db";
import type { ContainerRuntime, ContainerStats } from "../docker/types";
import { errorMessage } from "../errors";
import type { Server } from "../generated/prisma/client";
import { logger } from "../logger";
import { serviceName } from "../naming";
import { swarmOfServer } from "../servers/cluster";
import { nodeEngines } from "../servers/node-engines";
import { runtimeFor } from "../servers/server-runtime";
import type { SwarmRuntime } from "../swarm/types";
import type { TSampleRow } from "./downsample";
import { planTaskReads, sumTaskStats, type TaskRead, type UnreadNode } from "./service-usage";

// Usage of instances that are Swarm services (issue 28). A manager does not
// serve other nodes' container stats, so each task's container is read from
// the engine of the node it runs on: the cluster's own connection for the
// manager's node, an engine server of the same swarm for any other node
// (lib/servers/node-engines.ts). One sample per instance per pass, summed
// over the tasks read; what could not be read is recorded per instance
// (UsageCoverage) for the instance page.

/** The manager's task listing, per cluster and pass (three calls). */
const MANAGER_DEADLINE_MS = 5_000;

export interface ServiceUsageDeps {
  runtimeOf: (serverId: string) => Promise<ContainerRuntime>;
  swarmOf: (server: Server) => SwarmRuntime;
}

const realDeps: ServiceUsageDeps = { runtimeOf: (id) => runtimeFor(id), swarmOf: swarmOfServer };

type Planned = { instanceId: string; total: number; unread: UnreadNode[]; reads: Array<{ serverId: string; task: TaskRead }> };

async function planCluster(cluster: Server, instances: Array<{ id: string; name: string }>, engineRows: Server[], deps: ServiceUsageDeps): Promise<Planned[]> {
  const rt = await deps.runtimeOf(cluster.id);
  if (!rt.engineInfo) throw new Error(`the runtime of ${cluster.name} cannot read docker info`);
  // The manager's identity is read now, not from its row: which node the cluster's own connection reaches decides which tasks it reads.
  // Each call is under the runtime's own per-call deadline (as every stats read).
  const [info, byService] = await Promise.all([rt.engineInfo(), deps.swarmOf(cluster).listManagedTasks({ timeoutMs: MANAGER_DEADLINE_MS })]);
  const engines = nodeEngines({ id: cluster.id, name: cluster.name, status: cluster.status, identity: { nodeId: info.swarmNodeId, clusterId: info.swarmClusterId, managerIds: info.swarmManagerIds } }, engineRows);
  return instances.map((inst) => {
    const plan = planTaskReads(byService.get(serviceName(inst.name)) ?? [], engines);
    return { instanceId: inst.id, total: plan.total, unread: plan.unread, reads: [...plan.reads].flatMap(([serverId, tasks]) => tasks.map((task) => ({ serverId, task }))) };
  });
}

/** One pass over the running instances on clusters; the caller writes the rows (with its own) and forgets containers not in `seen`. */
export async function collectServiceUsage(opts: {
  last: Map<string, ContainerStats>;
  now: Date;
  concurrency: number;
  deps?: ServiceUsageDeps;
}): Promise<{ rows: TSampleRow[]; failed: number; seen: Set<string> }> {
  const deps = opts.deps ?? realDeps;
  const rows: TSampleRow[] = [];
  const seen = new Set<string>();
  let failed = 0;
  const clusters = await db.server.findMany({ where: { kind: "swarm" } });
  const instances = clusters.length ? await db.instance.findMany({ where: { status: "running", serverId: { in: clusters.map((c) => c.id) } }, select: { id: true, name: true, serverId: true } }) : [];
  // Coverage of instances no longer running on a cluster goes (a cluster down keeps its instances' last one).
  await db.usageCoverage.deleteMany({ where: { instanceId: { notIn: instances.map((i) => i.id) } } });
  if (!instances.length) return { rows, failed, seen };
  const engineRows = await db.server.findMany({ where: { kind: { not: "swarm" }, swarmNodeId: { not: null } } });

  // A cluster recorded down is not asked (each call would wait out its deadline); one that fails fails only its own instances.
  const planned: Planned[] = [];
  await Promise.all(
    clusters
      .filter((c) => c.status !== "down")
      .map(async (cluster) => {
        const mine = instances.filter((i) => i.serverId === cluster.id);
        if (!mine.length) return;
        try {
          planned.push(...(await planCluster(cluster, mine, engineRows, deps)));
        } catch (err) {
          failed += mine.length;
          logger.warn({ op: "usage", consumer: `server:${cluster.name}`, err: errorMessage(err) }, "service tasks not listed");
        }
      }),
  );

  // Every task container of every instance, read from its node's engine, a bounded number at once (as lib/usage/collect-usage.ts).
  const runtimes = new Map<string, Promise<ContainerRuntime>>();
  const runtimeOf = (serverId: string) => {
    if (!runtimes.has(serverId)) runtimes.set(serverId, deps.runtimeOf(serverId));
    return runtimes.get(serverId)!;
  };
  const reads = planned.flatMap((p) => p.reads.map((r) => ({ instanceId: p.instanceId, ...r })));
  const got = new Map<string, Array<{ prev: ContainerStats | undefined; cur: ContainerStats }>>();
  for (let i = 0; i < reads.length; i += opts.concurrency) {
    await Promise.all(
      reads.slice(i, i + opts.concurrency).map(async (r) => {
        const id = r.task.containerId;
        seen.add(id);
        try {
          const cur = await (await runtimeOf(r.serverId)).containerStats(id);
          if (!cur) return;
          const list = got.get(r.instanceId) ?? [];
          list.push({ prev: opts.last.get(id), cur });
          got.set(r.instanceId, list);
          opts.last.set(id, cur);
        } catch (err) {
          failed++;
          logger.warn({ op: "usage", consumer: `instance:${r.instanceId}`, node: r.task.node, err: errorMessage(err) }, "task stats read failed");
        }
      }),
    );
  }

  for (const p of planned) {
    const read = got.get(p.instanceId) ?? [];
    if (read.length) rows.push({ instanceId: p.instanceId, at: opts.now, resolution: 15, ...sumTaskStats(read) });
    const data = { at: opts.now, tasksRead: read.length, tasksTotal: p.total, unreadNodes: JSON.stringify(p.unread) };
    await db.usageCoverage.upsert({ where: { instanceId: p.instanceId }, create: { instanceId: p.instanceId, ...data }, update: data });
  }
  return { rows, failed, seen };
}
