import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { db } from "../db";
import { getInstance } from "../instances/get-instance";
import { routeId } from "../naming";
import { getProxyProvider } from "../proxy";
import { swarmOfServer } from "../servers/cluster";
import { createServer } from "../servers/servers";
import { getSettings } from "../settings/get-settings";
import { CADDY, eventually, httpGet } from "../../test/helpers/http";
import { multihost, multihostHost } from "../../test/multihost";
import { createInstance } from "./create-instance";
import { waitForJob } from "./jobs";
import { removeInstance } from "./remove-instance";
import { serviceName } from "./service-spec";
import { followTasksOnce, startTaskFollower, stopTaskFollower, taskFollowerStats, taskFollowMs } from "./task-follower-loop";

// Issue 28: a service's route follows its tasks when Swarm moves them by
// itself, with no Wharf operation and no sync: a worker's engine killed, a
// node drained with the docker CLI. On the real three-node Swarm of
// test/services/multihost.sh (h1 the manager over mutual TLS), served by
// Caddy on loopback; the task follower runs as it does in the server, on its
// default period. Each case prints what it measured (MEASURED ...).
const rand = randomBytes(3).toString("hex");
const base = `follow-${rand}.wharf.test`;
const mh = multihost();
const script = path.resolve(import.meta.dirname, "../../test/services/multihost.sh");
const name = `fol-${rand}`;
const viaCaddy = () => httpGet({ port: CADDY.httpPort, host: `${name}.${base}`, timeoutMs: 4000 });
const h1 = (args: string) => execFileSync("sh", ["-c", `docker -H unix://${multihostHost("h1").socket} ${args}`], { encoding: "utf8", stdio: "pipe" });
let serverId = "";
let id = "";
const swarm = async () => swarmOfServer(await db.server.findUniqueOrThrow({ where: { id: serverId } }));
const running = async () => (await (await swarm()).listTasks(serviceName(name))).filter((t) => t.desiredState === "running" && t.state === "running");
const routeHosts = async () => {
  const route = (await getProxyProvider(await getSettings())!.listRoutes()).find((r) => r.id === routeId("instance", id));
  return route?.upstreams.map((u) => `${u.host}:${u.port}`).sort() ?? [];
};
const address = (node: string) => multihostHost(node).address;

/** Requests through Caddy, back to back, each stamped with its time; stopped by `stop()`. */
function requestLoop() {
  const results: Array<{ at: number; ok: boolean; what: string }> = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const r = await viaCaddy().catch((e: Error) => ({ status: 0, body: e.message }));
      const ok = r.status === 200 && r.body.includes("wharf-test");
      results.push({ at: Date.now(), ok, what: ok ? "" : `${r.status} ${r.body.slice(0, 60)}` });
      if (!ok) await new Promise((res) => setTimeout(res, 100));
    }
  })();
  return {
    results,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** The numbers a case reports, relative to `t0` (the moment the node went away). */
function measure(t0: number, r: { results: Array<{ at: number; ok: boolean; what: string }> }, marks: { tasksMovedMs: number; routeFollowedMs: number }) {
  const failed = r.results.filter((x) => !x.ok);
  return {
    requests: r.results.length,
    failed: failed.length,
    firstFailureMs: failed.length ? failed[0].at - t0 : null,
    lastFailureMs: failed.length ? failed[failed.length - 1].at - t0 : null,
    failures: [...new Set(failed.map((f) => f.what))].slice(0, 3),
    tasksMovedMs: marks.tasksMovedMs - t0,
    routeFollowedMs: marks.routeFollowedMs - t0,
    /** How long after Swarm's replacement ran the route had it (negative: the route left the dead task before). */
    followLagMs: marks.routeFollowedMs - marks.tasksMovedMs,
  };
}

/** Polls until `fn` holds and returns when it first did. */
async function whenTrue(fn: () => Promise<boolean>, what: string, timeoutMs: number): Promise<number> {
  await eventually(async () => (await fn()) || null, { timeoutMs, intervalMs: 200, what });
  return Date.now();
}

const nodeReady = async (hostname: string) => (await (await swarm()).listNodes()).find((n) => n.hostname === hostname)?.state === "ready";

beforeAll(async () => {
  process.env.WHARF_HEALTH_TIMEOUT_MS = "60000";
  delete process.env.WHARF_TASK_FOLLOW_MS; // the default period, as a server runs it
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: {
      baseDomain: base,
      proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
      registries: [{ host: mh.registries.auth, username: mh.registries.username, password: mh.registries.password }],
    },
  });
  const read = (p: string) => readFileSync(p, "utf8");
  serverId = (await createServer({ actor: SYSTEM_ACTOR, body: { name: `cluster-${rand}`, kind: "swarm", transport: "tls", address: mh.tls.host, port: mh.tls.port, tls: { ca: read(mh.tls.caPath), cert: read(mh.tls.certPath), key: read(mh.tls.keyPath) } } })).id;
  // Two replicas on the workers (h2, h3): the engine killed is h3's, the engine tests use h1 and h2.
  id = (await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: `${mh.registries.auth}/lab/web:v1`, port: 8080, server: serverId, replicas: 2, placement: ["node.role!=manager"], healthPath: "/" } })).id;
  await waitForJob(id);
  const inst = await getInstance(id);
  expect(inst, inst.error ?? "").toMatchObject({ status: "running", replicas: 2 });
  expect(startTaskFollower()).toBe(true);
  // The first look opens the cluster's event stream and confirms the route.
  await followTasksOnce();
}, 180_000);

afterAll(async () => {
  await stopTaskFollower();
  execFileSync("bash", [script, "start-engine", "3"], { stdio: "pipe" });
  const s = await swarm().catch(() => null);
  for (const n of (await s?.listNodes().catch(() => [])) ?? []) if (n.availability !== "active") await s!.updateNode(n.id, { availability: "active" }).catch(() => undefined);
  if (id) await removeInstance({ actor: SYSTEM_ACTOR, id }).catch(() => undefined);
}, 180_000);

describe("the task follower: routes follow tasks Swarm moves by itself, without a sync", { timeout: 300_000 }, () => {
  it("a worker's engine killed: the route leaves its task and follows the rescheduled one; requests succeed again", async () => {
    expect(taskFollowMs()).toBe(3000);
    const before = await running();
    expect(before.map((t) => t.node).sort()).toEqual(["h2", "h3"]);
    expect(await routeHosts()).toEqual(before.map((t) => `${t.nodeAddress}:${t.publishedPort}`).sort());
    const syncs = await db.syncRun.count();
    const load = requestLoop();
    const t0 = Date.now();
    let marks = { tasksMovedMs: 0, routeFollowedMs: 0 };
    let leftAt = 0;
    try {
      execFileSync("bash", [script, "kill-engine", "3"], { stdio: "pipe" });
      // Swarm notices the node is gone and starts the task on h2; the route follows with no sync run.
      const [left, tasksMoved, routeFollowed] = await Promise.all([
        whenTrue(async () => {
          const hosts = await routeHosts();
          return hosts.length > 0 && hosts.every((h) => !h.startsWith(`${address("h3")}:`));
        }, "the route off h3", 150_000),
        whenTrue(async () => {
          const t = await running();
          return t.length === 2 && t.every((x) => x.node === "h2");
        }, "the task rescheduled on h2", 150_000),
        whenTrue(async () => {
          const hosts = await routeHosts();
          return hosts.length === 2 && hosts.every((h) => h.startsWith(`${address("h2")}:`));
        }, "the route on the two tasks of h2", 150_000),
      ]);
      // Requests after the route followed all succeed.
      await new Promise((r) => setTimeout(r, 5_000));
      marks = { tasksMovedMs: tasksMoved, routeFollowedMs: routeFollowed };
      leftAt = left;
      expect(await routeHosts()).toEqual((await running()).map((t) => `${t.nodeAddress}:${t.publishedPort}`).sort());
    } finally {
      await load.stop();
    }
    const m = measure(t0, load, marks);
    console.log(`MEASURED kill-engine: ${JSON.stringify({ ...m, routeLeftDeadTaskMs: leftAt - t0 })}`);
    const lateFailures = load.results.filter((r) => !r.ok && r.at > marks.routeFollowedMs + 1_000);
    expect(lateFailures).toEqual([]);
    expect(load.results.filter((r) => r.ok && r.at > marks.routeFollowedMs).length).toBeGreaterThan(5);
    expect(await db.syncRun.count()).toBe(syncs);
    // Each move is on the audit log (Activity): the first one takes the route off h3's task.
    const events = await db.auditEvent.findMany({ where: { action: "instance.route", target: name }, orderBy: { createdAt: "asc" } });
    expect(events.map((e) => e.actorLabel)).toContain("task follower");
    expect(events.some((e) => e.message?.includes(`${address("h3")}:`) && e.message.includes("→"))).toBe(true);
    expect((await db.instance.findUniqueOrThrow({ where: { id } })).routeStatus).toBe("active");

    execFileSync("bash", [script, "start-engine", "3"], { stdio: "pipe" });
    await eventually(() => nodeReady("h3"), { timeoutMs: 120_000, intervalMs: 1000, what: "h3 ready again" });
  });

  it("a node drained with the docker CLI (not through Wharf): the tasks move and the route follows", async () => {
    const before = await running();
    expect(before.map((t) => t.node)).toEqual(["h2", "h2"]);
    const syncs = await db.syncRun.count();
    const eventsBefore = taskFollowerStats().get(serverId)?.events ?? 0;
    const load = requestLoop();
    const t0 = Date.now();
    let marks = { tasksMovedMs: 0, routeFollowedMs: 0 };
    try {
      h1("node update --availability drain h2");
      const [tasksMoved, routeFollowed] = await Promise.all([
        whenTrue(async () => {
          const t = await running();
          return t.length === 2 && t.every((x) => x.node === "h3");
        }, "the tasks on h3", 120_000),
        whenTrue(async () => {
          const hosts = await routeHosts();
          return hosts.length === 2 && hosts.every((h) => h.startsWith(`${address("h3")}:`));
        }, "the route on the two tasks of h3", 120_000),
      ]);
      await new Promise((r) => setTimeout(r, 5_000));
      marks = { tasksMovedMs: tasksMoved, routeFollowedMs: routeFollowed };
      expect(await routeHosts()).toEqual((await running()).map((t) => `${t.nodeAddress}:${t.publishedPort}`).sort());
    } finally {
      await load.stop();
      h1("node update --availability active h2");
    }
    const m = measure(t0, load, marks);
    console.log(`MEASURED cli-drain: ${JSON.stringify(m)}`);
    // The drain reached the follower as the manager's node event, not only through the poll.
    expect(taskFollowerStats().get(serverId)!.events).toBeGreaterThan(eventsBefore);
    expect(load.results.filter((r) => !r.ok && r.at > marks.routeFollowedMs + 1_000)).toEqual([]);
    expect(load.results.filter((r) => r.ok && r.at > marks.routeFollowedMs).length).toBeGreaterThan(5);
    expect(await db.syncRun.count()).toBe(syncs);
    const events = await db.auditEvent.findMany({ where: { action: "instance.route", target: name }, orderBy: { createdAt: "desc" } });
    expect(events[0].message).toContain(`${address("h3")}:`);
  });
});
