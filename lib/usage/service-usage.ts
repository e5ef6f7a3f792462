import type { TSampleRow } from "./downsample";
import { cpuPercent } from "../docker/map";
import type { ContainerStats } from "../docker/types";
import type { NodeEngine } from "../servers/node-engines";
import type { TaskInfo } from "../swarm/types";

// The pure half of a Swarm service's usage (issue 28): which task container
// is read from which server's engine, and one sample summed over the reads.

export interface TaskRead {
  taskId: string;
  nodeId: string;
  node: string;
  containerId: string;
}

/** A node running tasks of the service whose engine Wharf does not read: none added for it, or recorded down. */
export interface UnreadNode {
  nodeId: string;
  node: string;
  tasks: number;
  reason: "not added" | "down";
}

export interface TaskReadPlan {
  /** server id → the task containers to read from that server's engine. */
  reads: Map<string, TaskRead[]>;
  unread: UnreadNode[];
  /** The service's running tasks (the M of "usage from N of M tasks"). */
  total: number;
}

/** Groups a service's running tasks by the server that reaches each one's node. */
export function planTaskReads(tasks: TaskInfo[], engines: Map<string, NodeEngine>): TaskReadPlan {
  const reads = new Map<string, TaskRead[]>();
  const unread = new Map<string, UnreadNode>();
  let total = 0;
  for (const t of tasks) {
    if (t.desiredState !== "running" || t.state !== "running" || !t.containerId) continue;
    total++;
    const engine = engines.get(t.nodeId);
    if (!engine || engine.down) {
      const u = unread.get(t.nodeId) ?? { nodeId: t.nodeId, node: t.node || t.nodeId, tasks: 0, reason: engine ? "down" : "not added" };
      u.tasks++;
      unread.set(t.nodeId, u);
      continue;
    }
    const list = reads.get(engine.serverId) ?? [];
    list.push({ taskId: t.id, nodeId: t.nodeId, node: t.node || t.nodeId, containerId: t.containerId });
    reads.set(engine.serverId, list);
  }
  return { reads, unread: [...unread.values()].sort((a, b) => a.node.localeCompare(b.node)), total };
}

/** A sample's measurements (downsample.ts's row without its instance, time and resolution). */
export type SummedUsage = Omit<TSampleRow, "instanceId" | "at" | "resolution">;

/**
 * One sample over the task containers read: CPU is each container's delta
 * since its previous read, summed (null while no container has a previous
 * read yet: a task seen for the first time adds nothing until its next read);
 * memory, limits and the cumulative counters are summed.
 */
export function sumTaskStats(reads: Array<{ prev: ContainerStats | undefined; cur: ContainerStats }>): SummedUsage {
  let cpu: number | null = null;
  const out: SummedUsage = { cpuPercent: null, memoryBytes: 0, memoryLimitBytes: 0, netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0 };
  for (const { prev, cur } of reads) {
    const c = cpuPercent(prev, cur);
    if (c !== null) cpu = (cpu ?? 0) + c;
    out.memoryBytes += cur.memoryBytes;
    out.memoryLimitBytes += cur.memoryLimitBytes;
    out.netRx += cur.netRx;
    out.netTx += cur.netTx;
    out.blockRead += cur.blockRead;
    out.blockWrite += cur.blockWrite;
  }
  return { ...out, cpuPercent: cpu };
}
