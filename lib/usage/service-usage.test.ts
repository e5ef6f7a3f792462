import { describe, expect, it } from "vitest";
import { db } from "../db";
import type { ContainerRuntime, ContainerStats } from "../docker/types";
import type { Server } from "../generated/prisma/client";
import { identityColumns, nodeEngines, sameSwarm, type SwarmIdentity } from "../servers/node-engines";
import type { SwarmRuntime, TaskInfo } from "../swarm/types";
import { fakeRuntime } from "../../test/doubles/fake-runtime";
import { collectServiceUsage } from "./collect-service-usage";
import { planTaskReads, sumTaskStats } from "./service-usage";

const task = (id: string, nodeId: string, node: string, over: Partial<TaskInfo> = {}): TaskInfo => ({
  id, nodeId, node, nodeAddress: "192.0.2.1", state: "running", desiredState: "running", publishedPort: 30000, containerId: `c-${id}`, image: "x@sha256:1", error: null, updatedAt: "", ...over,
});
const stats = (cpuNs: number, sysNs: number, mem: number, over: Partial<ContainerStats> = {}): ContainerStats => ({
  at: new Date(), cpuTotalNs: cpuNs, systemCpuNs: sysNs, onlineCpus: 2, memoryBytes: mem, memoryLimitBytes: 1000, netRx: 10, netTx: 20, blockRead: 30, blockWrite: 40, ...over,
});
const manager: SwarmIdentity = { nodeId: "n1", clusterId: "swarm-A", managerIds: ["n1"] };
const row = (id: string, over: Partial<Server>) => ({ id, name: id, kind: "engine", status: "up", swarmNodeId: null, swarmClusterId: null, swarmManagerIds: null, ...over });

describe("which server reads which node", () => {
  it("the cluster reads its manager's node; an engine of the same swarm reads its node; others are not used", () => {
    const engines = nodeEngines({ id: "cl", name: "cluster", status: "up", identity: manager }, [
      row("h2", { swarmNodeId: "n2", swarmManagerIds: JSON.stringify(["n1"]) }),
      // A manager of another swarm whose node id collides with n3: its Swarm.Cluster.ID differs, never used.
      row("other-mgr", { swarmNodeId: "n3", swarmClusterId: "swarm-B", swarmManagerIds: JSON.stringify(["n3"]) }),
      // A worker of another swarm claiming n4: its managers are not the cluster's.
      row("other-wrk", { swarmNodeId: "n4", swarmManagerIds: JSON.stringify(["m9"]) }),
      // A cluster row is never an engine for a node.
      row("cl2", { kind: "swarm", swarmNodeId: "n5", swarmClusterId: "swarm-A" }),
      // Unreadable record: not used.
      row("garbled", { swarmNodeId: "n6", swarmManagerIds: "{" }),
    ]);
    expect([...engines]).toEqual([
      ["n1", { serverId: "cl", name: "cluster", down: false }],
      ["n2", { serverId: "h2", name: "h2", down: false }],
    ]);
  });

  it("a manager of the same swarm (same Cluster.ID) serves its node; an up server beats one recorded down", () => {
    expect(sameSwarm(manager, { nodeId: "n7", clusterId: "swarm-A", managerIds: ["n7"] })).toBe(true);
    expect(sameSwarm(manager, { nodeId: "n7", clusterId: "swarm-B", managerIds: ["n1"] })).toBe(false);
    expect(sameSwarm({ ...manager, clusterId: null }, { nodeId: "n7", clusterId: "swarm-A", managerIds: ["n1"] })).toBe(false);
    const engines = nodeEngines({ id: "cl", name: "cluster", status: "up", identity: manager }, [
      row("a-down", { status: "down", swarmNodeId: "n2", swarmManagerIds: JSON.stringify(["n1"]) }),
      row("b-up", { swarmNodeId: "n2", swarmManagerIds: JSON.stringify(["n1"]) }),
    ]);
    expect(engines.get("n2")).toEqual({ serverId: "b-up", name: "b-up", down: false });
  });

  it("the recorded columns of docker info: all null outside a swarm", () => {
    expect(identityColumns({ swarmNodeId: null, swarmClusterId: null, swarmManagerIds: [] })).toEqual({ swarmNodeId: null, swarmClusterId: null, swarmManagerIds: null });
    expect(identityColumns({ swarmNodeId: "n2", swarmClusterId: null, swarmManagerIds: ["n1"] })).toEqual({ swarmNodeId: "n2", swarmClusterId: null, swarmManagerIds: '["n1"]' });
  });
});

describe("grouping a service's tasks and summing their usage", () => {
  it("groups running tasks by the server of their node; nodes without one (or down) are named as unread", () => {
    const engines = new Map([
      ["n1", { serverId: "cl", name: "cluster", down: false }],
      ["n2", { serverId: "h2", name: "h2", down: false }],
      ["n4", { serverId: "h4", name: "h4", down: true }],
    ]);
    const plan = planTaskReads(
      [
        task("t1", "n1", "h1"),
        task("t2", "n2", "h2"),
        task("t2b", "n2", "h2"),
        task("t3", "n3", "h3"),
        task("t3b", "n3", "h3"),
        task("t4", "n4", "h4"),
        task("t5", "n1", "h1", { state: "starting" }),
        task("t6", "n2", "h2", { desiredState: "shutdown" }),
        task("t7", "n2", "h2", { containerId: null }),
      ],
      engines,
    );
    expect(plan.total).toBe(6);
    expect([...plan.reads].map(([s, list]) => [s, list.map((t) => t.containerId)])).toEqual([
      ["cl", ["c-t1"]],
      ["h2", ["c-t2", "c-t2b"]],
    ]);
    expect(plan.unread).toEqual([
      { nodeId: "n3", node: "h3", tasks: 2, reason: "not added" },
      { nodeId: "n4", node: "h4", tasks: 1, reason: "down" },
    ]);
  });

  it("sums memory, limits and counters; CPU is the sum of each container's delta, null until one has a previous read", () => {
    const a0 = stats(0, 0, 100);
    const a1 = stats(1e9, 4e9, 150); // 1/4 × 2 CPUs = 50 %
    const b1 = stats(3e9, 4e9, 250, { netRx: 5 });
    const b2 = stats(5e9, 8e9, 300, { netRx: 7 }); // 2/4 × 2 = 100 %
    expect(sumTaskStats([{ prev: undefined, cur: a0 }, { prev: undefined, cur: b1 }])).toEqual({
      cpuPercent: null, memoryBytes: 350, memoryLimitBytes: 2000, netRx: 15, netTx: 40, blockRead: 60, blockWrite: 80,
    });
    const s = sumTaskStats([{ prev: a0, cur: a1 }, { prev: b1, cur: b2 }, { prev: undefined, cur: stats(1, 1, 50) }]);
    expect(s.cpuPercent).toBeCloseTo(150);
    expect(s.memoryBytes).toBe(500);
    expect(s.memoryLimitBytes).toBe(3000);
    expect(s.netRx).toBe(27);
  });
});

describe("collecting a service's usage with fakes", () => {
  it("reads each task from its node's engine, one sample per instance, coverage naming the node not read; never an engine of another swarm", async () => {
    await db.server.createMany({
      data: [
        { id: "su-cl", name: "su-cluster", kind: "swarm", transport: "tls", address: "192.0.2.10", port: 2376, upstreamAddress: "192.0.2.10", credentials: "x", status: "up" },
        { id: "su-h2", name: "su-h2", transport: "ssh", address: "192.0.2.11", port: 22, upstreamAddress: "192.0.2.11", credentials: "x", status: "up", swarmNodeId: "n2", swarmManagerIds: '["n1"]' },
        // Another swarm's manager whose node id collides with h3's.
        { id: "su-x", name: "su-x", transport: "tls", address: "192.0.2.12", port: 2376, upstreamAddress: "192.0.2.12", credentials: "x", status: "up", swarmNodeId: "n3", swarmClusterId: "swarm-B", swarmManagerIds: '["n3"]' },
      ],
    });
    await db.instance.create({ data: { id: "su-i", name: "su-app", image: "x", subdomain: "su-app", port: 80, status: "running", serverId: "su-cl", replicas: 3 } });
    const asked: string[] = [];
    const engine = (server: string, mem: Record<string, number>): ContainerRuntime => ({
      ...fakeRuntime(),
      engineInfo: async () => ({ containers: 0, name: server, kernelVersion: "6.1.0", swarm: "active", swarmNodeId: "n1", swarmClusterId: "swarm-A", swarmManagerIds: ["n1"] }),
      containerStats: async (id) => {
        asked.push(`${server}:${id}`);
        return id in mem ? stats(asked.length * 1e9, asked.length * 4e9, mem[id]) : null;
      },
    });
    const runtimes: Record<string, ContainerRuntime> = { "su-cl": engine("su-cl", { "c-t1": 100 }), "su-h2": engine("su-h2", { "c-t2": 200 }), "su-x": engine("su-x", { "c-t3": 999 }) };
    const swarm = { listManagedTasks: async () => new Map([["wharf-su-app", [task("t1", "n1", "h1"), task("t2", "n2", "h2"), task("t3", "n3", "h3")]]]) } as unknown as SwarmRuntime;
    const last = new Map<string, ContainerStats>();
    const deps = { runtimeOf: async (id: string) => runtimes[id], swarmOf: () => swarm };
    const out = await collectServiceUsage({ last, now: new Date(), concurrency: 16, deps });
    expect(out.failed).toBe(0);
    expect(asked.sort()).toEqual(["su-cl:c-t1", "su-h2:c-t2"]);
    expect(out.rows).toHaveLength(1);
    expect(out.rows[0]).toMatchObject({ instanceId: "su-i", memoryBytes: 300, memoryLimitBytes: 2000, cpuPercent: null });
    expect([...out.seen].sort()).toEqual(["c-t1", "c-t2"]);
    const cov = await db.usageCoverage.findUniqueOrThrow({ where: { instanceId: "su-i" } });
    expect(cov).toMatchObject({ tasksRead: 2, tasksTotal: 3 });
    expect(JSON.parse(cov.unreadNodes)).toEqual([{ nodeId: "n3", node: "h3", tasks: 1, reason: "not added" }]);

    // Second pass: CPU from each container's delta; a cluster recorded down is not asked and keeps its coverage.
    const again = await collectServiceUsage({ last, now: new Date(), concurrency: 16, deps });
    expect(again.rows[0].cpuPercent).toBeGreaterThan(0);
    await db.server.update({ where: { id: "su-cl" }, data: { status: "down" } });
    asked.length = 0;
    expect((await collectServiceUsage({ last, now: new Date(), concurrency: 16, deps })).rows).toEqual([]);
    expect(asked).toEqual([]);
    expect(await db.usageCoverage.count({ where: { instanceId: "su-i" } })).toBe(1);
    // An instance no longer running loses its coverage.
    await db.instance.update({ where: { id: "su-i" }, data: { status: "stopped" } });
    await collectServiceUsage({ last, now: new Date(), concurrency: 16, deps });
    expect(await db.usageCoverage.count({ where: { instanceId: "su-i" } })).toBe(0);
  });
});
