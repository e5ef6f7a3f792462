import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { getInstance } from "../instances/get-instance";
import { updateNode } from "../servers/servers";
import type { NodeInfo } from "../swarm/types";
import { eventually } from "../../test/helpers/http";
import { swarmTestCluster } from "../../test/swarm";
import { createInstance } from "./create-instance";
import { redeployInstance } from "./redeploy-instance";
import { removeInstance } from "./remove-instance";
import { serviceName } from "./service-spec";

// Issue 28 on the real three-node Swarm of test/services/multihost.sh:
// placement by node label, reservations (in the service, and one no node can
// hold: the scheduler's reason reaches the operator), and a service with a
// volume pinned to one node. The Swarm is shared: every label, availability,
// service and volume this file touches is put back in afterAll.
const C = swarmTestCluster("place");
const { rand, image, viaCaddy, swarm, settle, running, docker } = C;
const LABEL = `wharf-place-${rand}`;
let serverId = "";
/** The nodes as they were before this file: labels and availability to put back. */
let before: NodeInfo[] = [];
const volumes: string[] = [];

const inspect = (name: string) => JSON.parse(docker("h1", `service inspect ${serviceName(name)}`))[0] as { Spec: { TaskTemplate: { Resources: { Reservations?: Record<string, number>; Limits?: Record<string, number> }; Placement: { Constraints?: string[] } } } };
const lastDeployment = (instanceId: string) => db.deployment.findFirstOrThrow({ where: { instanceId }, orderBy: { startedAt: "desc" }, include: { steps: { orderBy: { position: "asc" } } } });

beforeAll(async () => {
  serverId = await C.setUp();
  before = await (await swarm()).listNodes();
  expect(before.every((n) => n.availability === "active" && n.state === "ready"), "the shared Swarm is not all active and ready").toBe(true);
}, 60_000);

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
  // Labels and availability exactly as found (labels are replaced whole).
  await C.restoreNodes(before);
  // A volume is removed once the service's containers are gone on its node.
  for (const v of volumes) {
    for (const h of ["h1", "h2", "h3"]) {
      await eventually(async () => {
        try {
          docker(h, `volume rm -f ${v}`);
          return true;
        } catch {
          return false;
        }
      }, { timeoutMs: 30_000, what: `volume ${v} removed on ${h}` }).catch(() => undefined);
    }
  }
}, 180_000);

describe("Swarm placement, reservations and pinned volumes", { timeout: 240_000 }, () => {
  it("placement by node label (set through the node API): every task on the labelled worker, served through Caddy; reservations in the real service", async () => {
    const target = before.find((n) => n.hostname === "h3")!;
    const labelled = await updateNode({ actor: SYSTEM_ACTOR, id: serverId, nodeId: target.id, body: { labels: { ...target.labels, [LABEL]: "yes" } } });
    expect(labelled.labels[LABEL]).toBe("yes");
    try {
      const name = `lbl-${rand}`;
      const { id } = await createInstance({
        actor: SYSTEM_ACTOR,
        body: { name, image: image("v1"), port: 8080, server: serverId, replicas: 2, placement: [`node.labels.${LABEL}==yes`], limits: { memoryMb: 64 }, reservations: { memoryMb: 16, cpus: 0.1 } },
      });
      const inst = await settle(id);
      expect(inst.status, inst.error).toBe("running");
      expect(inst.reservations).toEqual({ memoryMb: 16, cpus: 0.1 });
      const tasks = await running(name);
      expect(tasks).toHaveLength(2);
      expect(tasks.map((t) => t.node)).toEqual(["h3", "h3"]);
      expect((await viaCaddy(name)).body).toContain("wharf-test v1");
      const spec = inspect(name).Spec.TaskTemplate;
      expect(spec.Resources.Reservations).toEqual({ MemoryBytes: 16 * 1024 * 1024, NanoCPUs: 100_000_000 });
      expect(spec.Resources.Limits).toEqual({ MemoryBytes: 64 * 1024 * 1024 });
      expect(spec.Placement.Constraints).toEqual([`node.labels.${LABEL}==yes`]);
      // No volume: nothing is pinned.
      expect(inst.pinnedNode).toBeNull();
      // ...and pinNode, which chooses where volumes stay, is refused (400 naming it) with nothing changed, autoUpdate included.
      await expect(redeployInstance({ actor: SYSTEM_ACTOR, id, body: { pinNode: "h3", autoUpdate: true } })).rejects.toMatchObject({ code: "VALIDATION", field: "pinNode" });
      expect(await db.instance.findUniqueOrThrow({ where: { id }, select: { autoUpdate: true, status: true } })).toEqual({ autoUpdate: false, status: "running" });
      await removeInstance({ actor: SYSTEM_ACTOR, id });
    } finally {
      const now = (await (await swarm()).listNodes()).find((n) => n.id === target.id)!;
      const { [LABEL]: _drop, ...rest } = now.labels;
      await updateNode({ actor: SYSTEM_ACTOR, id: serverId, nodeId: target.id, body: { labels: rest } });
    }
    expect((await (await swarm()).listNodes()).find((n) => n.id === target.id)!.labels).not.toHaveProperty(LABEL);
  });

  it("a reservation no node can hold: the task stays pending, and the deploy fails with the scheduler's reason within the health timeout", async () => {
    process.env.WHARF_HEALTH_TIMEOUT_MS = "8000";
    try {
      const name = `big-${rand}`;
      const started = Date.now();
      const { id } = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: image("v1"), port: 8080, server: serverId, reservations: { memoryMb: 4_000_000 } } });
      const inst = await settle(id);
      const took = Date.now() - started;
      expect(inst.status).toBe("failed");
      expect(inst.error).toMatch(/insufficient resources/);
      const dep = await lastDeployment(id);
      expect(dep.status).toBe("failed");
      expect(dep.error).toMatch(/Swarm cannot place a task of wharf-big-.*no suitable node \(insufficient resources on 3 nodes\)/);
      // The operator saw why while it waited: the health step's live line names the reason.
      expect(dep.steps.find((s) => s.name === "health")?.message ?? "").toMatch(/insufficient resources/);
      // The health timeout plus the pull and create, not the rollout's longer deadline.
      expect(took).toBeLessThan(8_000 + 30_000);
      // A first deploy that failed leaves no service behind.
      expect(await (await swarm()).inspectService(serviceName(name))).toBeNull();
    } finally {
      process.env.WHARF_HEALTH_TIMEOUT_MS = "60000";
    }
  });

  describe("a service with a volume is pinned to one node", () => {
    const name = `vol-${rand}`;
    let id = "";
    let pinned = "";
    const stamp = `stamp-${rand}`;
    // Writes the stamp into the volume once; httpd serves it from /www/data/stamp.
    const command = ["sh", "-c", `[ -f /www/data/stamp ] || echo ${stamp}-$(hostname) > /www/data/stamp; exec httpd -f -p 8080 -h /www`];

    it("the first deploy picks an active worker that satisfies the placement, records it, and adds node.id== to the service", async () => {
      const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: image("v1"), port: 8080, server: serverId, placement: ["node.role==worker"], mounts: [{ type: "volume", target: "/www/data" }], command } });
      id = created.id;
      volumes.push(...created.mounts.flatMap((m) => (m.type === "volume" ? [m.name] : [])));
      const inst = await settle(id);
      expect(inst.status, inst.error).toBe("running");
      const row = await db.instance.findUniqueOrThrow({ where: { id } });
      expect(row.pinnedNodeId).toBeTruthy();
      pinned = row.pinnedNodeId!;
      const node = before.find((n) => n.id === pinned)!;
      expect(node.role).toBe("worker");
      expect(inst.pinnedNode).toMatchObject({ id: pinned, hostname: node.hostname, availability: "active", state: "ready", problem: null });
      // The operator's placement stays as given; the pin is added to the service's constraints.
      expect(inst.placement).toEqual(["node.role==worker"]);
      expect(inspect(name).Spec.TaskTemplate.Placement.Constraints).toEqual(["node.role==worker", `node.id==${pinned}`]);
      expect((await running(name)).map((t) => t.nodeId)).toEqual([pinned]);
      expect((await viaCaddy(name, "/data/stamp")).body).toContain(stamp);
      expect((await lastDeployment(id)).steps.map((s) => s.message).join("\n")).toContain(`volumes pinned to node ${node.hostname}`);
    });

    it("an update keeps the pin and the data: the new task runs on the same node and reads what the old one wrote", async () => {
      const first = (await viaCaddy(name, "/data/stamp")).body.trim();
      await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: image("v2") } });
      const inst = await settle(id);
      expect(inst.status, inst.error).toBe("running");
      expect(inspect(name).Spec.TaskTemplate.Placement.Constraints).toContain(`node.id==${pinned}`);
      expect((await running(name)).map((t) => t.nodeId)).toEqual([pinned]);
      expect((await viaCaddy(name)).body).toContain("wharf-test v2");
      // Written by the first task (its container's hostname in it), read by the second.
      expect((await viaCaddy(name, "/data/stamp")).body.trim()).toBe(first);
    });

    it("the pinned node drained: a redeploy does not hang or move the data; it fails with Swarm's reason and why, and the pin stays", async () => {
      process.env.WHARF_HEALTH_TIMEOUT_MS = "8000";
      const s = await swarm();
      await s.updateNode(pinned, { availability: "drain" });
      try {
        await eventually(async () => (await running(name)).length === 0, { timeoutMs: 30_000, what: "the drained node's task stopped" });
        const view = await getInstance(id);
        expect(view.pinnedNode?.problem).toMatch(/is set to drain/);
        await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: image("v1") } });
        const inst = await settle(id);
        const dep = await lastDeployment(id);
        expect(dep.status).toBe("failed");
        expect(dep.error).toMatch(/no suitable node/);
        expect(dep.error).toMatch(/the node the volumes are pinned to \(h\d\) is set to drain/);
        expect(inst.error).toMatch(/pinNode/);
        expect((await db.instance.findUniqueOrThrow({ where: { id } })).pinnedNodeId).toBe(pinned);
        // An explicit pinNode naming a node that cannot run tasks is a 400 before anything changes.
        const drainedName = before.find((n) => n.id === pinned)!.hostname;
        await expect(redeployInstance({ actor: SYSTEM_ACTOR, id, body: { pinNode: drainedName } })).rejects.toMatchObject({ code: "VALIDATION", field: "pinNode" });
      } finally {
        process.env.WHARF_HEALTH_TIMEOUT_MS = "60000";
        await s.updateNode(pinned, { availability: "active" });
      }
      // Active again: a redeploy runs the service there again, with its data (Swarm 20.10 may leave a task it
      // could not place pending after the node is active again, hence the redeploy the error message asks for).
      await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: image("v1") } });
      const back = await settle(id);
      expect(back.status, back.error).toBe("running");
      expect((await running(name)).map((t) => t.nodeId)).toEqual([pinned]);
      expect((await viaCaddy(name)).body).toContain("wharf-test v1");
      expect((await viaCaddy(name, "/data/stamp")).body).toContain(stamp);
    });
  });
});
