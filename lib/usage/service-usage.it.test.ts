import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { createInstance } from "../deployer/create-instance";
import { waitForJob } from "../deployer/jobs";
import { removeInstance } from "../deployer/remove-instance";
import { serviceName } from "../deployer/service-spec";
import { DockerodeRuntime } from "../docker/dockerode";
import { getInstance } from "../instances/get-instance";
import { getUsage } from "../instances/get-usage";
import { swarmOfServer } from "../servers/cluster";
import { pingServers } from "../servers/fleet";
import { createServer, deleteServer, getServer } from "../servers/servers";
import { testServer } from "../servers/test-server";
import { multihostHost } from "../../test/multihost";
import { swarmTestCluster } from "../../test/swarm";
import { collectUsageOnce, newCollectorState } from "./collect-usage";

// Issue 28, "usage from every node that runs a task", on the real three-node
// Swarm of test/services/multihost.sh: the cluster is h1 (the manager, over
// mutual TLS), h2 is added as an engine server over SSH, h3 is reachable only
// through its unix socket from this host, so Wharf cannot add it. What the
// collector writes is checked against each task container's stats read
// directly from its node's engine socket.
const C = swarmTestCluster("usage");
const { rand, mh } = C;
const read = (p: string) => readFileSync(p, "utf8");
const socketRuntime = (host: string) => new DockerodeRuntime({ connection: { kind: "socket", socketPath: multihostHost(host).socket } });
let clusterId = "";
let h2Id = "";
let instanceId = "";
const name = `use-${rand}`;

beforeAll(async () => {
  clusterId = await C.setUp();
  h2Id = (await createServer({ actor: SYSTEM_ACTOR, body: { name: `h2-${rand}`, transport: "ssh", address: mh.ssh.host, ssh: { user: mh.ssh.username, privateKey: read(mh.ssh.privateKeyPath), hostKeySha256: mh.ssh.hostKey } } })).id;
}, 60_000);

afterAll(async () => {
  if (instanceId) await removeInstance({ actor: SYSTEM_ACTOR, id: instanceId }).catch(() => undefined);
  // The service is gone from the shared Swarm whatever the removal above did.
  const cluster = await db.server.findUnique({ where: { id: clusterId } });
  if (cluster) await swarmOfServer(cluster).removeService(serviceName(name)).catch(() => undefined);
  for (const id of [h2Id, clusterId]) if (id) await deleteServer({ actor: SYSTEM_ACTOR, id }).catch(() => undefined);
}, 180_000);

describe("usage of a Swarm service from every node that runs a task", { timeout: 240_000 }, () => {
  it("each server records the Swarm node its engine is; the node list names the server that reaches each node, h3 not added", async () => {
    expect((await testServer({ actor: SYSTEM_ACTOR, id: clusterId })).ok).toBe(true);
    expect((await testServer({ actor: SYSTEM_ACTOR, id: h2Id })).ok).toBe(true);
    const [h1, h2] = await Promise.all([socketRuntime("h1").engineInfo(), socketRuntime("h2").engineInfo()]);
    expect(h1.swarmClusterId).toMatch(/\w+/);
    // A worker's docker info has no Swarm.Cluster: it knows its swarm only by its managers.
    expect(h2.swarmClusterId).toBeNull();
    expect(await db.server.findUniqueOrThrow({ where: { id: clusterId } })).toMatchObject({ swarmNodeId: h1.swarmNodeId, swarmClusterId: h1.swarmClusterId });
    expect(await db.server.findUniqueOrThrow({ where: { id: h2Id } })).toMatchObject({ swarmNodeId: h2.swarmNodeId, swarmClusterId: null, swarmManagerIds: JSON.stringify([h1.swarmNodeId]) });
    // The server monitor records it as well (servers added before this existed get it within one check).
    await db.server.updateMany({ where: { id: { in: [clusterId, h2Id] } }, data: { swarmNodeId: null, swarmClusterId: null, swarmManagerIds: null } });
    await pingServers();
    expect(await db.server.findUniqueOrThrow({ where: { id: h2Id } })).toMatchObject({ swarmNodeId: h2.swarmNodeId });
    expect(await db.server.findUniqueOrThrow({ where: { id: clusterId } })).toMatchObject({ swarmNodeId: h1.swarmNodeId, swarmClusterId: h1.swarmClusterId });
    const view = await getServer(clusterId);
    const engines = Object.fromEntries(("nodes" in view && view.nodes ? view.nodes : []).map((n) => [n.hostname, n.engineServer]));
    expect(engines).toEqual({ h1: `cluster-${rand}`, h2: `h2-${rand}`, h3: null });
  });

  it("one sample summed over the tasks on h1 (the cluster's engine) and h2 (the SSH server), equal to their containers' memory read on each node; h3's task is named as not read", async () => {
    // Three replicas on three equal nodes: Swarm's spread strategy puts one task on each.
    instanceId = (await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: C.image("v1"), port: 8080, server: clusterId, replicas: 3, healthPath: "/" } })).id;
    await waitForJob(instanceId);
    const inst = await getInstance(instanceId);
    expect(inst.status, inst.error ?? undefined).toBe("running");
    const tasks = await C.running(name);
    expect(tasks.map((t) => t.node).sort()).toEqual(["h1", "h2", "h3"]);
    const on = (node: string) => tasks.find((t) => t.node === node)!.containerId!;

    const state = newCollectorState();
    await collectUsageOnce({ state });
    await new Promise((r) => setTimeout(r, 1500));
    const pass = await collectUsageOnce({ state });
    expect(pass.failed).toBe(0);
    // Read right after the collector, from each node's own engine socket (not through Wharf's servers).
    const [s1, s2, s3] = await Promise.all([socketRuntime("h1").containerStats(on("h1")), socketRuntime("h2").containerStats(on("h2")), socketRuntime("h3").containerStats(on("h3"))]);
    expect(s1 && s2 && s3).toBeTruthy();
    const sample = await db.usageSample.findFirstOrThrow({ where: { instanceId }, orderBy: { at: "desc" } });
    const direct = s1!.memoryBytes + s2!.memoryBytes;
    // Tighter than a quarter of the smallest task's memory: reading one task, or all three, misses it.
    const tolerance = Math.min(s1!.memoryBytes, s2!.memoryBytes, s3!.memoryBytes) / 4;
    expect(Math.abs(sample.memoryBytes - direct), `sample ${sample.memoryBytes}, h1 ${s1!.memoryBytes} + h2 ${s2!.memoryBytes}, h3 ${s3!.memoryBytes}`).toBeLessThan(tolerance);
    expect(sample.memoryLimitBytes).toBe(s1!.memoryLimitBytes + s2!.memoryLimitBytes);
    expect(typeof sample.cpuPercent).toBe("number");
    expect(sample.cpuPercent!).toBeGreaterThanOrEqual(0);
    // One sample per instance and pass.
    expect(await db.usageSample.count({ where: { instanceId } })).toBe(2);

    const { coverage } = await getUsage({ instanceId });
    expect(coverage).toMatchObject({ tasksRead: 2, tasksTotal: 3, unreadNodes: [{ node: "h3", tasks: 1, reason: "not added" }] });
  });

  it("h2's server recorded down: its task is not asked and is named as such, h1's is still read", async () => {
    await db.server.update({ where: { id: h2Id }, data: { status: "down" } });
    const state = newCollectorState();
    await collectUsageOnce({ state });
    const { coverage } = await getUsage({ instanceId });
    expect(coverage).toMatchObject({ tasksRead: 1, tasksTotal: 3 });
    expect(coverage!.unreadNodes).toEqual([
      { node: "h2", tasks: 1, reason: "down" },
      { node: "h3", tasks: 1, reason: "not added" },
    ]);
    await db.server.update({ where: { id: h2Id }, data: { status: "up" } });
  });
});
