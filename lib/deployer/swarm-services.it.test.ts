import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { getProxyProvider } from "../proxy";
import { getSettings } from "../settings/get-settings";
import { routeId } from "../naming";
import { LABEL_INSTALLATION, LABEL_INSTANCE, LABEL_MANAGED } from "../naming";
import { installationId } from "../secrets";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { getInstance } from "../instances/get-instance";
import { runSync } from "../reconcile/run-sync";
import { createServer, getServer } from "../servers/servers";
import { setNodeAvailability } from "./node-availability";
import { testServer } from "../servers/test-server";
import { eventually } from "../../test/helpers/http";
import { multihostHost } from "../../test/multihost";
import { underLoad as loadThroughCaddy } from "../../test/helpers/load";
import { MULTIHOST_SCRIPT, swarmTestCluster } from "../../test/swarm";
import { createInstance } from "./create-instance";
import { redeployInstance } from "./redeploy-instance";
import { removeInstance } from "./remove-instance";
import { rollbackInstance } from "./rollback-instance";
import { serviceName } from "./service-spec";
import { startInstance, stopInstance } from "./stop-start-instance";

// Issue 28 end to end on the real three-node Swarm of test/services/multihost.sh
// (h1 the manager, reached over mutual TLS): instances as services, served by
// Caddy on loopback through every task's host port on its node.
const C = swarmTestCluster("swarm");
const { rand, base, mh, image, viaCaddy, swarm, settle } = C;
const script = MULTIHOST_SCRIPT;
let serverId = "";
const h1 = () => `docker -H unix://${multihostHost("h1").socket}`;
/** Requests through Caddy while `during` runs; every answer must be the app's. */
const underLoad = (name: string, during: () => Promise<unknown>) => loadThroughCaddy(`${name}.${base}`, during);

const tasksOf = C.running;

beforeAll(async () => {
  serverId = await C.setUp();
}, 60_000);

afterAll(async () => {
  await C.restoreNodes();
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
}, 180_000);

describe("instances as Swarm services", { timeout: 240_000 }, () => {
  const name = `svc-${rand}`;
  let id = "";

  it("a cluster is a server whose engine is a manager: Test connection says so and the nodes are listed; an engine that is no manager is refused", async () => {
    const t = await testServer({ actor: SYSTEM_ACTOR, id: serverId });
    expect(t.ok).toBe(true);
    expect(t.message).toContain("Swarm manager of 3 nodes");
    const view = await getServer(serverId);
    expect("nodes" in view && view.nodes?.map((n) => n.hostname).sort()).toEqual(["h1", "h2", "h3"]);
    const read = (p: string) => readFileSync(p, "utf8");
    // The same engine over SSH (h2) is a worker: not a cluster.
    const worker = await createServer({ actor: SYSTEM_ACTOR, body: { name: `worker-${rand}`, kind: "swarm", transport: "ssh", address: mh.ssh.host, ssh: { user: mh.ssh.username, privateKey: read(mh.ssh.privateKeyPath), hostKeySha256: mh.ssh.hostKey } } });
    const refused = await testServer({ actor: SYSTEM_ACTOR, id: worker.id });
    expect(refused.ok).toBe(false);
    expect(refused.message).toContain("not a Swarm manager");
    await db.server.delete({ where: { id: worker.id } });
  });

  it("deploys 2 replicas on two nodes from the registry, served through Caddy to both tasks", async () => {
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: image("v1"), port: 8080, server: serverId, replicas: 2, healthPath: "/", env: [{ key: "API_TOKEN", value: "swarm-secret-value", secret: true }] } });
    id = created.id;
    const inst = await settle(id);
    expect(inst, inst.error).toMatchObject({ status: "running", server: `cluster-${rand}`, replicas: 2 });
    expect(inst.digest).toMatch(/^sha256:/);
    const tasks = await tasksOf(name);
    expect(tasks).toHaveLength(2);
    expect(new Set(tasks.map((t) => t.node)).size).toBe(2);
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
    // The secret is a Docker secret: not in the service's spec.
    const spec = execFileSync("sh", ["-c", `${h1()} service inspect ${serviceName(name)}`], { encoding: "utf8" });
    expect(spec).not.toContain("swarm-secret-value");
    expect(spec).toContain("API_TOKEN_FILE");
  });

  it("updates start-first under load with 0 failed requests, task by task in the deployment's steps", async () => {
    const load = await underLoad(name, async () => {
      await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: image("v2") } });
      expect((await settle(id)).status).toBe("running");
    });
    expect(load.failures).toEqual([]);
    expect(load.ok).toBeGreaterThan(10);
    expect((await viaCaddy(name)).body).toContain("wharf-test v2");
    const dep = await db.deployment.findFirstOrThrow({ where: { instanceId: id, kind: "redeploy" }, orderBy: { startedAt: "desc" }, include: { steps: true } });
    expect(dep.status).toBe("succeeded");
    expect(dep.steps.find((s) => s.name === "health")?.message).toMatch(/2 tasks running sha256:/);
  });

  it("an update whose health check fails is rolled back by Swarm, and the instance says so", async () => {
    const before = (await getInstance(id)).digest!;
    // Serving an empty directory: "/" answers 404, Wharf's probe (wget) fails, the new task never gets healthy.
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { command: ["httpd", "-f", "-p", "8080", "-h", "/tmp"] } });
    const inst = await settle(id);
    expect(inst.status).toBe("running");
    expect(inst.error).toContain("rolled the update back");
    expect(inst.digest).toBe(before);
    expect((await viaCaddy(name)).body).toContain("wharf-test v2");
  });

  it("rolls back to the recorded digest (the service's rolling update)", async () => {
    await rollbackInstance({ actor: SYSTEM_ACTOR, id, body: {} });
    expect((await settle(id)).status).toBe("running");
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
  });

  it("scales 2 → 3 → 1 without a rollout, the route following the tasks", async () => {
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { replicas: 3 } });
    expect((await settle(id)).replicas).toBe(3);
    expect(await tasksOf(name)).toHaveLength(3);
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { replicas: 1 } });
    const one = await settle(id);
    expect(one.replicas).toBe(1);
    await eventually(async () => (await tasksOf(name)).length === 1, { timeoutMs: 30_000, what: "one task" });
    for (let i = 0; i < 5; i++) expect((await viaCaddy(name)).body).toContain("wharf-test v1");
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { replicas: 2 } });
    expect((await settle(id)).replicas).toBe(2);
  });

  it("drain a node from Wharf: the route leaves its task first, the task moves, the route follows, requests keep succeeding", async () => {
    const s = await swarm();
    const victim = (await tasksOf(name)).find((t) => t.node !== "h1")!;
    const node = (await s.listNodes()).find((n) => n.hostname === victim.node)!;
    const load = await underLoad(name, async () => {
      await setNodeAvailability({ actor: SYSTEM_ACTOR, id: serverId, nodeId: node.id, body: { availability: "drain" } });
      await eventually(async () => {
        const tasks = await tasksOf(name);
        return tasks.length === 2 && tasks.every((t) => t.node !== victim.node);
      }, { timeoutMs: 60_000, what: "tasks off the drained node" });
      // The route follows the replacement without a sync.
      await eventually(async () => {
        const route = (await getProxyProvider(await getSettings())!.listRoutes()).find((r) => r.id === routeId("instance", id));
        return route?.upstreams.length === 2 && route.upstreams.every((u) => u.host !== victim.nodeAddress);
      }, { timeoutMs: 15_000, what: "route on the replacement task" });
    });
    await setNodeAvailability({ actor: SYSTEM_ACTOR, id: serverId, nodeId: node.id, body: { availability: "active" } });
    expect(load.failures).toEqual([]);
    expect(load.ok).toBeGreaterThan(5);
  });

  it("a service removed by hand is restored by the next sync; a stopped instance keeps zero tasks", async () => {
    execFileSync("sh", ["-c", `${h1()} service rm ${serviceName(name)}`], { stdio: "pipe" });
    const report = await runSync({ trigger: "manual" });
    expect(report.lines.find((l) => l.name === name && l.action === "restart")).toMatchObject({ status: "ok", message: expect.stringContaining("created again") });
    await eventually(async () => (await tasksOf(name)).length === 2, { timeoutMs: 60_000, what: "two tasks again" });
    await runSync({ trigger: "manual" });
    await eventually(async () => (await viaCaddy(name).catch(() => null))?.body.includes("wharf-test v1"), { timeoutMs: 30_000, what: "served again" });
    await stopInstance({ actor: SYSTEM_ACTOR, id });
    expect((await getInstance(id)).status).toBe("stopped");
    await eventually(async () => (await tasksOf(name)).length === 0, { timeoutMs: 30_000, what: "no task" });
    await startInstance({ actor: SYSTEM_ACTOR, id });
    expect((await settle(id)).status).toBe("running");
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
  });

  it("a worker's engine killed: its task is rescheduled and the route follows", async () => {
    // Only h3 is killed: the engine tests use h1 and h2.
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { replicas: 3 } });
    await settle(id);
    expect((await tasksOf(name)).some((t) => t.node === "h3")).toBe(true);
    execFileSync("bash", [script, "kill-engine", "3"], { stdio: "pipe" });
    await eventually(async () => {
      const tasks = await tasksOf(name);
      return tasks.length === 3 && tasks.every((t) => t.node !== "h3");
    }, { timeoutMs: 90_000, intervalMs: 1000, what: "tasks rescheduled off h3" });
    await runSync({ trigger: "manual" });
    for (let i = 0; i < 6; i++) expect((await viaCaddy(name)).body).toContain("wharf-test v1");
    execFileSync("bash", [script, "start-engine", "3"], { stdio: "pipe" });
  });

  it("reports a service of this installation that no instance names as an orphan, never another installation's, and removes neither", async () => {
    const svc = (n: string, installation: string) =>
      execFileSync("sh", ["-c", `${h1()} service create -q --detach --replicas 0 --name ${n} --label ${LABEL_MANAGED}=true --label ${LABEL_INSTANCE}=gone-${rand} --label ${LABEL_INSTALLATION}=${installation} ${image("v1")}`], { stdio: "pipe" });
    svc(`orphan-mine-${rand}`, installationId());
    svc(`orphan-theirs-${rand}`, "another-installation-0000");
    try {
      const report = await runSync({ trigger: "manual" });
      const orphans = report.lines.filter((l) => l.action === "orphan").map((l) => l.name);
      expect(orphans).toContain(`orphan-mine-${rand}`);
      expect(orphans).not.toContain(`orphan-theirs-${rand}`);
      const left = execFileSync("sh", ["-c", `${h1()} service ls --format '{{.Name}}'`], { encoding: "utf8" });
      expect(left).toContain(`orphan-mine-${rand}`);
    } finally {
      execFileSync("sh", ["-c", `${h1()} service rm orphan-mine-${rand} orphan-theirs-${rand}`], { stdio: "pipe" });
    }
  });

  it("remove leaves no service, no secret and no route", async () => {
    await removeInstance({ actor: SYSTEM_ACTOR, id });
    expect(await (await swarm()).inspectService(serviceName(name))).toBeNull();
    const secrets = execFileSync("sh", ["-c", `${h1()} secret ls --format '{{.Name}}'`], { encoding: "utf8" });
    expect(secrets).not.toContain(serviceName(name));
    // Caddy answers an unrouted host with an empty 200: what matters is that the app no longer answers.
    expect((await viaCaddy(name)).body).not.toContain("wharf-test");
  });
});
