import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { db } from "../db";
import { getInstance } from "../instances/get-instance";
import { routeId } from "../naming";
import { getProxyProvider } from "../proxy";
import { getSettings } from "../settings/get-settings";
import { eventually } from "../../test/helpers/http";
import { multihostHost } from "../../test/multihost";
import { MULTIHOST_SCRIPT, swarmTestCluster } from "../../test/swarm";
import { createInstance } from "./create-instance";
import { waitForJob } from "./jobs";
import { removeInstance } from "./remove-instance";
import { followTasksOnce, startTaskFollower, stopTaskFollower, taskFollowerStats, taskFollowMs } from "./task-follower-loop";

// Issue 28: a service's route follows its tasks when Swarm moves them by
// itself, with no Wharf operation and no sync: a worker's engine killed, a
// node drained with the docker CLI. On the real three-node Swarm of
// test/services/multihost.sh (h1 the manager over mutual TLS), served by
// Caddy on loopback; the task follower runs as it does in the server, on its
// default period. Each case prints what it measured (MEASURED ...).
const C = swarmTestCluster("follow");
const { rand, swarm } = C;
const script = MULTIHOST_SCRIPT;
const name = `fol-${rand}`;
const viaCaddy = () => C.viaCaddy(name);
const h1 = (args: string) => C.docker("h1", args);
let serverId = "";
let id = "";
const running = () => C.running(name);
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
  delete process.env.WHARF_TASK_FOLLOW_MS; // the default period, as a server runs it
  serverId = await C.setUp();
  // Two replicas on the workers (h2, h3): the engine killed is h3's, the engine tests use h1 and h2.
  id = (await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: C.image("v1"), port: 8080, server: serverId, replicas: 2, placement: ["node.role!=manager"], healthPath: "/" } })).id;
  await waitForJob(id);
  const inst = await getInstance(id);
  expect(inst, inst.error ?? "").toMatchObject({ status: "running", replicas: 2 });
  expect(startTaskFollower()).toBe(true);
  // The first look opens the cluster's event stream and confirms the route.
  await followTasksOnce();
}, 180_000);

afterAll(async () => {
  await stopTaskFollower();
  await C.restoreNodes();
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
