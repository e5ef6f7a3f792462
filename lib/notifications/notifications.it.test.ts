import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { resetEnvCache } from "../env";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { createApiToken } from "../auth/tokens";
import { updateSettings } from "../configuration/update-settings";
import { createInstance } from "../deployer/create-instance";
import { getInstance } from "../instances/get-instance";
import { waitForJob } from "../deployer/jobs";
import { removeInstance } from "../deployer/remove-instance";
import { runSync } from "../reconcile/run-sync";
import { CADDY, eventually, TEST_NETWORK } from "../../test/helpers/http";
import { startHttpSink, type HttpSink } from "../../test/helpers/sinks";
import { GET as metricsRoute } from "../../app/api/metrics/route";
import { createChannel } from "./channels";
import { runOutbox } from "./deliver-outbox";
import { startContainerWatch, stopContainerWatch } from "./watch-containers";

// Real dockerd and Caddy (test/services/start.sh), the test images, promtool
// (Debian's prometheus package), child processes killed with SIGKILL.
const rand = randomBytes(3).toString("hex");
const base = `nt-${rand}.wharf.test`;
let sink: HttpSink;
const children: ChildProcess[] = [];

beforeAll(async () => {
  process.env.WHARF_NOTIFY_FOLD_S = "600";
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  resetEnvCache();
  sink = await startHttpSink();
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: { baseDomain: base, docker: { network: TEST_NETWORK }, proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } } },
  });
});
afterAll(async () => {
  stopContainerWatch();
  for (const c of children) c.kill("SIGKILL");
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
  await sink.close();
});

async function deploy(name: string, image: string, extra: Record<string, unknown> = {}) {
  const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image, port: 8080, ...extra } });
  await waitForJob(created.id);
  return getInstance(created.id);
}

async function scrape(token?: string, path = "http://wharf.test/api/metrics") {
  const res = await metricsRoute(new Request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} }));
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
}

/** The value of one sample line (`name{labels}`), 0 when absent. */
function sample(body: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of body.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(" ").pop());
  }
  return 0;
}

describe("metrics follow a deploy, a failed deploy and a sync", () => {
  // Tokens belong to a live user (issue 21).
  let userId = "";
  beforeAll(async () => {
    userId = (await db.user.create({ data: { email: `metrics-owner-${rand}@example.com`, passwordHash: "x", role: "admin" } })).id;
  });

  it("refuses a request without a token or with a bad one; a metrics token reads it and nothing else", async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape("wharf_nope")).status).toBe(401);
    const { token } = await createApiToken({ actor: SYSTEM_ACTOR, userId, body: { name: "prom", role: "metrics" } });
    expect((await scrape(token)).status).toBe(200);
    const { actorFromToken } = await import("../auth/tokens");
    expect(await actorFromToken(token)).toBeNull();
  });

  it("counts the deploys and the sync, with their durations; promtool accepts the text", async () => {
    const { token } = await createApiToken({ actor: SYSTEM_ACTOR, userId, body: { name: "viewer", role: "viewer" } });
    const before = (await scrape(token)).body;
    const ok = await deploy(`m-ok-${rand}`, "wharf-test/web:v1");
    expect(ok.status).toBe("running");
    const bad = await deploy(`m-bad-${rand}`, "wharf-test/crash:v1");
    expect(bad.status).toBe("failed");
    await runSync({ trigger: "cli" });
    const after = await scrape(token);
    expect(after.type).toContain("text/plain");
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after.body, name, labels) - sample(before, name, labels);
    expect(delta("wharf_deployments_total", { kind: "deploy", result: "succeeded" })).toBe(1);
    expect(delta("wharf_deployments_total", { kind: "deploy", result: "failed" })).toBe(1);
    expect(delta("wharf_deployment_duration_seconds_count", { kind: "deploy", result: "succeeded" })).toBe(1);
    expect(sample(after.body, "wharf_deployment_duration_seconds_sum", { kind: "deploy", result: "succeeded" })).toBeGreaterThan(0);
    expect(delta("wharf_sync_runs_total")).toBe(1);
    expect(delta("wharf_sync_duration_seconds_count")).toBe(1);
    expect(sample(after.body, "wharf_instances", { state: "running" })).toBe(1);
    expect(sample(after.body, "wharf_instances", { state: "failed" })).toBe(1);
    const lastOk = sample(after.body, "wharf_sync_last_success_timestamp_seconds");
    expect(Math.abs(lastOk - Date.now() / 1000)).toBeLessThan(120);
    expect(after.body).toMatch(/^wharf_process_cpu_seconds_total /m);

    const check = spawnSync("promtool", ["check", "metrics"], { input: after.body, encoding: "utf8" });
    expect(check.stderr + check.stdout).toBe("");
    expect(check.status).toBe(0);

    // The failed deploy is in the outbox, naming the step and the reason.
    const failed = await db.notificationEvent.findFirstOrThrow({ where: { event: "deploy.failed", consumerId: bad.id } });
    expect(failed.message).toMatch(new RegExp(`^m-bad-${rand}: deploy of wharf-test/crash:v1 failed at step \\w+: `));
    expect(failed.path).toBe(`/instances/${bad.id}`);
  });
});

describe("a crash-looping container", () => {
  it("produces one folded message", async () => {
    await db.notificationEvent.deleteMany();
    const ch = await createChannel({ actor: SYSTEM_ACTOR, body: { name: "loop", type: "webhook", config: { url: `${sink.url}/loop`, secret: "loop-secret-123" }, events: ["instance.exited", "instance.restart_loop"] } });
    expect(startContainerWatch()).toBe(true);
    // Serves for 3 s, then exits 1; the restart policy brings it back, again and again.
    const inst = await deploy(`loop-${rand}`, "wharf-test/web:v1", { command: ["sh", "-c", "httpd -f -p 8080 -h /www & sleep 3; exit 1"] });
    expect(inst.status).toBe("running");
    const ev = await eventually(
      async () => {
        const e = await db.notificationEvent.findFirst({ where: { consumerId: inst.id, foldKey: `instance.down:${inst.id}` } });
        return e && e.count >= 4 ? e : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: "four exits folded into one event" },
    );
    expect(ev.event).toBe("instance.restart_loop");
    expect(await db.notificationEvent.count({ where: { foldKey: `instance.down:${inst.id}` } })).toBe(1);
    // The fold window (600 s here) ends: one message, with the count.
    await runOutbox(new Date(Date.now() + 601_000));
    const got = sink.seen.filter((r) => r.path === "/loop");
    expect(got).toHaveLength(1);
    const body = JSON.parse(got[0].body);
    expect(body).toMatchObject({ event: "instance.restart_loop", consumer: { type: "instance", id: inst.id, name: `loop-${rand}` } });
    expect(body.count).toBeGreaterThanOrEqual(4);
    stopContainerWatch();
    await removeInstance({ actor: SYSTEM_ACTOR, id: inst.id });
    await db.notificationChannel.delete({ where: { id: ch.id } });
  });
});

function child(mode: "emit" | "serve", marker: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ["--import", "tsx", "test/helpers/notify-child.ts", mode], {
      env: { ...process.env, WHARF_SCHEDULER: "off", LOG_LEVEL: "silent", WHARF_NOTIFY_FOLD_S: "0", WHARF_NOTIFY_POLL_MS: "100" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(c);
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`child ${mode} never said ${marker}: ${err}`)), 60_000);
    c.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (marker.test(out)) {
        clearTimeout(timer);
        resolve(c);
      }
    });
    c.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  });
}

describe("a process killed between the state change and the delivery", () => {
  it("delivers after restart, once, even with two workers running", async () => {
    await db.notificationEvent.deleteMany();
    await createChannel({ actor: SYSTEM_ACTOR, body: { name: "after-crash", type: "webhook", config: { url: `${sink.url}/crash`, secret: "crash-secret-123" }, events: ["sync.failed"] } });
    const emitter = await child("emit", /EMITTED/);
    emitter.kill("SIGKILL");
    await new Promise((r) => emitter.once("exit", r));
    expect(sink.seen.filter((r) => r.path === "/crash")).toHaveLength(0);
    expect(await db.notificationEvent.count({ where: { event: "sync.failed", status: "pending" } })).toBe(1);
    // Two replicas start: the lease lets one of them deliver.
    const [a, b] = await Promise.all([child("serve", /SERVING/), child("serve", /SERVING/)]);
    await eventually(async () => sink.seen.some((r) => r.path === "/crash"), { timeoutMs: 20_000, what: "the delivery after restart" });
    await new Promise((r) => setTimeout(r, 1500));
    const got = sink.seen.filter((r) => r.path === "/crash");
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0].body)).toMatchObject({ event: "sync.failed", count: 1 });
    expect(await db.notificationDelivery.count({ where: { status: "sent", channel: { name: "after-crash" } } })).toBe(1);
    a.kill("SIGKILL");
    b.kill("SIGKILL");
  });
});
