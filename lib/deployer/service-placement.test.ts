import { describe, expect, it } from "vitest";
import { createBody } from "../docker/map";
import type { Instance } from "../generated/prisma/client";
import { defaultSettings } from "../settings/defaults";
import { choosePinNode, nodeSatisfies, parseConstraint, pinnedNodeProblem } from "../swarm/constraints";
import { serviceBody } from "../swarm/map";
import type { NodeInfo } from "../swarm/types";
import { parseInput } from "../validation";
import { containerSpecFor } from "./container-plan";
import { reservationProblem, resolveSpec, specColumns, specOf } from "./runtime-spec";
import { ZCreateInstanceSchema, ZRedeploySchema } from "./schemas";
import { serviceSpecFor } from "./service-spec";
import { decidePin } from "./service-pin";
import type { SwarmRuntime, TaskInfo } from "../swarm/types";
import { specFromForm } from "./spec-form";
import type { TRuntimeSpec } from "./spec-schemas";

// Issue 28: reservations in the runtime spec and the pinning of a service's volumes to one node.

const ok = { name: "app", image: "nginx:1.27", port: 80 };
function fieldOf(body: Record<string, unknown>, schema: typeof ZCreateInstanceSchema | typeof ZRedeploySchema = ZCreateInstanceSchema): string {
  try {
    parseInput(schema, body);
  } catch (err) {
    return (err as { field?: string }).field ?? "(no field)";
  }
  return "accepted";
}

const spec = (over: Partial<TRuntimeSpec> = {}): TRuntimeSpec => ({
  mounts: [],
  limits: { memoryMb: null, cpus: null, pidsLimit: null },
  reservations: { memoryMb: null, cpus: null },
  command: null,
  entrypoint: null,
  deployStrategy: "blue-green",
  ...over,
});
const instance = { id: "i1", name: "shop", env: "[]", port: 8080, healthPath: null, pinnedNodeId: null } as Pick<Instance, "id" | "name" | "env" | "port" | "healthPath" | "pinnedNodeId">;
const volume = { type: "volume" as const, name: "wharf-shop-data", target: "/data" };

function node(over: Partial<NodeInfo> & { id: string }): NodeInfo {
  return { hostname: over.id, role: "worker", availability: "active", state: "ready", address: "198.18.0.10", labels: {}, engineLabels: {}, platform: { os: "linux", arch: "x86_64" }, engineVersion: "27.0.0", ...over };
}

describe("reservations: validation", () => {
  it("takes positive CPU and memory reservations and names the bad field", () => {
    expect(fieldOf({ ...ok, reservations: { memoryMb: 64, cpus: 0.25 } })).toBe("accepted");
    expect(fieldOf({ ...ok, reservations: { memoryMb: null, cpus: null } })).toBe("accepted");
    expect(fieldOf({ ...ok, reservations: { memoryMb: 0 } })).toBe("reservations.memoryMb");
    expect(fieldOf({ ...ok, reservations: { memoryMb: -5 } })).toBe("reservations.memoryMb");
    expect(fieldOf({ ...ok, reservations: { memoryMb: 1.5 } })).toBe("reservations.memoryMb");
    expect(fieldOf({ ...ok, reservations: { cpus: 0 } })).toBe("reservations.cpus");
    expect(fieldOf({ ...ok, reservations: { cpus: 0.125 } })).toBe("reservations.cpus");
    expect(fieldOf({ ...ok, reservations: { cpus: "1" } })).toBe("reservations.cpus");
    expect(fieldOf({ ...ok, reservations: { disk: 1 } })).toBe("reservations.disk");
    expect(fieldOf({ reservations: { memoryMb: 0 } }, ZRedeploySchema)).toBe("reservations.memoryMb");
  });

  it("a reservation above its limit is refused naming it; equal or without a limit is fine", () => {
    const limits = { memoryMb: 256, cpus: 0.5, pidsLimit: null };
    expect(reservationProblem(limits, { memoryMb: 512, cpus: null })).toMatchObject({ field: "reservations.memoryMb", message: expect.stringContaining("above the memory limit (256 MB)") });
    expect(reservationProblem(limits, { memoryMb: null, cpus: 1 })).toMatchObject({ field: "reservations.cpus" });
    expect(reservationProblem(limits, { memoryMb: 256, cpus: 0.5 })).toBeNull();
    expect(reservationProblem({ memoryMb: null, cpus: null, pidsLimit: null }, { memoryMb: 100_000, cpus: 64 })).toBeNull();
  });

  it("resolveSpec: a reservation above a stored or default limit is a 400 naming the field; a CPU reservation on a plain engine is refused", async () => {
    const settings = defaultSettings();
    const at = (current: TRuntimeSpec | null, input: object) => resolveSpec({ instance: { id: "i1", name: "app", serverId: null }, current, input, settings }).then(() => "accepted", (e: { field?: string; code?: string }) => `${e.code} ${e.field}`);
    expect(await at(spec({ limits: { memoryMb: 128, cpus: null, pidsLimit: null } }), { reservations: { memoryMb: 256 } })).toBe("VALIDATION reservations.memoryMb");
    expect(await at(spec(), { limits: { memoryMb: 64 }, reservations: { memoryMb: 65 } })).toBe("VALIDATION reservations.memoryMb");
    expect(await at(spec(), { reservations: { cpus: 0.5 } })).toBe("VALIDATION reservations.cpus");
    expect(await at(spec({ limits: { memoryMb: 128, cpus: null, pidsLimit: null } }), { reservations: { memoryMb: 64 } })).toBe("accepted");
    // Lowering the limit under a stored reservation is caught too.
    expect(await at(spec({ reservations: { memoryMb: 100, cpus: null } }), { limits: { memoryMb: 50 } })).toBe("VALIDATION reservations.memoryMb");
    const resolved = await resolveSpec({ instance: { id: "i1", name: "app", serverId: null }, current: spec(), input: { reservations: { memoryMb: 64 } }, settings });
    expect(resolved.reservations).toEqual({ memoryMb: 64, cpus: null });
  });

  it("round-trips through the row; rows and specs from before reservations read as none", () => {
    const s = spec({ reservations: { memoryMb: 64, cpus: 0.25 } });
    expect(specOf({ ...specColumns(s), mounts: "[]" } as never).reservations).toEqual({ memoryMb: 64, cpus: 0.25 });
    expect(specOf({ mounts: "[]", memoryMb: null, cpus: null, pidsLimit: null, command: null, entrypoint: null, deployStrategy: "blue-green" } as never).reservations).toEqual({ memoryMb: null, cpus: null });
  });

  it("the forms' reservation fields become the body; blank clears", () => {
    const form = new FormData();
    form.set("reservations.memoryMb", "64");
    form.set("reservations.cpus", "");
    expect(specFromForm(form).reservations).toEqual({ memoryMb: 64, cpus: null });
    expect(specFromForm(new FormData())).not.toHaveProperty("reservations");
  });
});

describe("reservations: where they go", () => {
  it("a Swarm service gets TaskTemplate.Resources.Reservations beside the limits", () => {
    const s = serviceSpecFor({ instance, deploymentId: "d1", image: "img@sha256:" + "a".repeat(64), spec: spec({ limits: { memoryMb: 256, cpus: 1, pidsLimit: null }, reservations: { memoryMb: 64, cpus: 0.25 } }), replicas: 1, constraints: [] });
    expect(s.reservations).toEqual({ memoryBytes: 64 * 1024 * 1024, nanoCpus: 250_000_000 });
    const body = serviceBody(s, {}) as { TaskTemplate: { Resources: unknown } };
    expect(body.TaskTemplate.Resources).toEqual({ Limits: { MemoryBytes: 256 * 1024 * 1024, NanoCPUs: 1_000_000_000 }, Reservations: { MemoryBytes: 64 * 1024 * 1024, NanoCPUs: 250_000_000 } });
    const none = serviceBody(serviceSpecFor({ instance, deploymentId: "d1", image: "img", spec: spec(), replicas: 1, constraints: [] }), {}) as { TaskTemplate: { Resources: unknown } };
    expect(none.TaskTemplate.Resources).toEqual({ Limits: {}, Reservations: {} });
  });

  it("a plain engine's container gets the memory reservation as MemoryReservation (the soft limit)", () => {
    const row = { id: "i1", name: "web", port: 8080, env: "[]", restartPolicy: "unless-stopped", ...specColumns(spec({ limits: { memoryMb: 128, cpus: null, pidsLimit: null }, reservations: { memoryMb: 64, cpus: null } })) } as unknown as Instance;
    const body = createBody(containerSpecFor({ instance: row, deploymentId: "dep123456789", image: "img:1", settings: defaultSettings() }));
    expect(body.HostConfig?.MemoryReservation).toBe(64 * 1024 * 1024);
    expect(body.HostConfig?.Memory).toBe(128 * 1024 * 1024);
    const bare = createBody(containerSpecFor({ instance: { ...row, reservationMemoryMb: null } as Instance, deploymentId: "dep123456789", image: "img:1", settings: defaultSettings() }));
    expect(bare.HostConfig).not.toHaveProperty("MemoryReservation");
  });
});

describe("placement constraints against nodes (as swarmkit matches them)", () => {
  const h2 = node({ id: "n2", hostname: "h2", labels: { zone: "b", disk: "SSD" }, role: "worker" });
  it("matches labels, roles, ids and hostnames; values case-insensitively, label names exactly", () => {
    expect(nodeSatisfies(h2, [])).toBe(true);
    expect(nodeSatisfies(h2, ["node.labels.zone==b"])).toBe(true);
    expect(nodeSatisfies(h2, ["node.labels.zone == B"])).toBe(true);
    expect(nodeSatisfies(h2, ["node.labels.zone==a"])).toBe(false);
    expect(nodeSatisfies(h2, ["node.labels.Zone==b"])).toBe(false);
    expect(nodeSatisfies(h2, ["node.labels.disk==ssd", "node.role!=manager"])).toBe(true);
    expect(nodeSatisfies(h2, ["node.role==manager"])).toBe(false);
    expect(nodeSatisfies(h2, ["node.labels.missing!=x"])).toBe(true);
    expect(nodeSatisfies(h2, ["node.labels.missing==x"])).toBe(false);
    expect(nodeSatisfies(h2, ["node.id==n2", "node.hostname==h2", "node.platform.os==linux"])).toBe(true);
    expect(nodeSatisfies(h2, ["node.unknown==x"])).toBe(false);
    expect(parseConstraint("garbage")).toBeNull();
  });

  it("chooses the node a service's task runs on, else the one with the fewest tasks, among active, ready nodes that satisfy the placement", () => {
    const nodes = [
      node({ id: "n1", hostname: "h1", role: "manager" }),
      node({ id: "n2", hostname: "h2", labels: { zone: "b" } }),
      node({ id: "n3", hostname: "h3", labels: { zone: "b" } }),
      node({ id: "n4", hostname: "h4", labels: { zone: "b" }, availability: "drain" }),
      node({ id: "n5", hostname: "h5", labels: { zone: "b" }, state: "down" }),
    ];
    const counts = { n1: 0, n2: 5, n3: 2, n4: 0, n5: 0 };
    expect(choosePinNode({ nodes, constraints: [], taskCounts: counts })?.id).toBe("n1");
    expect(choosePinNode({ nodes, constraints: ["node.labels.zone==b"], taskCounts: counts })?.id).toBe("n3");
    expect(choosePinNode({ nodes, constraints: ["node.labels.zone==b"], taskCounts: counts, serviceNodes: ["n2"] })?.id).toBe("n2");
    // Ties go by hostname: a stable choice.
    expect(choosePinNode({ nodes, constraints: ["node.labels.zone==b"], taskCounts: {} })?.id).toBe("n2");
    expect(choosePinNode({ nodes, constraints: ["node.labels.zone==c"], taskCounts: counts })).toBeNull();
  });

  it("says why a pinned node cannot run tasks", () => {
    expect(pinnedNodeProblem(node({ id: "n2", hostname: "h2" }), "n2")).toBeNull();
    expect(pinnedNodeProblem(node({ id: "n2", hostname: "h2", availability: "drain" }), "n2")).toContain("(h2) is set to drain");
    expect(pinnedNodeProblem(node({ id: "n2", hostname: "h2", state: "down" }), "n2")).toContain("(h2) is down");
    expect(pinnedNodeProblem(undefined, "n9")).toContain("no longer in the cluster");
  });
});

describe("a service with volumes is pinned", () => {
  const image = "img@sha256:" + "a".repeat(64);
  it("adds node.id==<pinned node> beside the instance's constraints when the spec mounts a volume", () => {
    const s = serviceSpecFor({ instance: { ...instance, pinnedNodeId: "n2" }, deploymentId: "d1", image, spec: spec({ mounts: [volume] }), replicas: 2, constraints: ["node.labels.zone==b"] });
    expect(s.constraints).toEqual(["node.labels.zone==b", "node.id==n2"]);
    expect((serviceBody(s, {}) as { TaskTemplate: { Placement: unknown } }).TaskTemplate.Placement).toEqual({ Constraints: ["node.labels.zone==b", "node.id==n2"] });
  });

  it("an explicit pin wins over the row's; none without volumes or without a pin", () => {
    expect(serviceSpecFor({ instance: { ...instance, pinnedNodeId: "n2" }, deploymentId: "d1", image, spec: spec({ mounts: [volume] }), replicas: 1, constraints: [], pinnedNodeId: "n3" }).constraints).toEqual(["node.id==n3"]);
    expect(serviceSpecFor({ instance: { ...instance, pinnedNodeId: "n2" }, deploymentId: "d1", image, spec: spec({ mounts: [volume] }), replicas: 1, constraints: [], pinnedNodeId: null }).constraints).toEqual([]);
    expect(serviceSpecFor({ instance: { ...instance, pinnedNodeId: "n2" }, deploymentId: "d1", image, spec: spec(), replicas: 1, constraints: [] }).constraints).toEqual([]);
  });

  it("pinVolumes and pinNode are validated", () => {
    expect(fieldOf({ ...ok, pinVolumes: false })).toBe("accepted");
    expect(fieldOf({ ...ok, pinVolumes: "no" })).toBe("pinVolumes");
    expect(fieldOf({ ...ok, pinNode: "h2" })).toBe("pinNode");
    expect(fieldOf({ pinNode: "h2" }, ZRedeploySchema)).toBe("accepted");
    expect(fieldOf({ pinNode: "" }, ZRedeploySchema)).toBe("pinNode");
  });
});

describe("deciding the pin", () => {
  const nodes = [node({ id: "n1", hostname: "h1", role: "manager" }), node({ id: "n2", hostname: "h2" }), node({ id: "n3", hostname: "h3", availability: "drain" })];
  // Only the reads decidePin makes: a stand-in for the manager's answers.
  const swarm = (tasks: Partial<TaskInfo>[] = []) => ({ listNodes: async () => nodes, taskCountsByNode: async () => ({ n1: 4, n2: 1 }), listTasks: async () => tasks }) as unknown as SwarmRuntime;
  const row = { name: "shop", pinVolumes: true, pinnedNodeId: null as string | null };
  const withVolume = spec({ mounts: [volume] });

  it("pins nothing without volumes or with pinVolumes off", async () => {
    expect(await decidePin({ swarm: swarm(), instance: row, spec: spec(), constraints: [] })).toEqual({ nodeId: null, pinVolumes: true });
    expect(await decidePin({ swarm: swarm(), instance: row, spec: withVolume, constraints: [], choice: { pinVolumes: false } })).toEqual({ nodeId: null, pinVolumes: false });
  });

  it("chooses the least busy schedulable node, or the one the service's task runs on", async () => {
    expect((await decidePin({ swarm: swarm(), instance: row, spec: withVolume, constraints: [] })).nodeId).toBe("n2");
    expect((await decidePin({ swarm: swarm([{ nodeId: "n1", desiredState: "running", state: "running" }]), instance: row, spec: withVolume, constraints: [] })).nodeId).toBe("n1");
    await expect(decidePin({ swarm: swarm(), instance: row, spec: withVolume, constraints: ["node.labels.zone==x"] })).rejects.toMatchObject({ code: "VALIDATION", field: "placement" });
  });

  it("keeps a recorded pin even on a drained node; moves it only on an explicit, checked pinNode", async () => {
    expect((await decidePin({ swarm: swarm(), instance: { ...row, pinnedNodeId: "n3" }, spec: withVolume, constraints: [] })).nodeId).toBe("n3");
    expect((await decidePin({ swarm: swarm(), instance: { ...row, pinnedNodeId: "n3" }, spec: withVolume, constraints: [], choice: { pinNode: "h1" } })).nodeId).toBe("n1");
    await expect(decidePin({ swarm: swarm(), instance: row, spec: withVolume, constraints: [], choice: { pinNode: "h3" } })).rejects.toMatchObject({ field: "pinNode", message: expect.stringContaining("drain") });
    await expect(decidePin({ swarm: swarm(), instance: row, spec: withVolume, constraints: [], choice: { pinNode: "h9" } })).rejects.toMatchObject({ field: "pinNode" });
    await expect(decidePin({ swarm: swarm(), instance: row, spec: withVolume, constraints: ["node.role==worker"], choice: { pinNode: "h1" } })).rejects.toMatchObject({ field: "pinNode", message: expect.stringContaining("placement") });
  });
});
