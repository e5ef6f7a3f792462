import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { db } from "../db";
import { getRuntime } from "../docker";
import { isAppError } from "../errors";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { routeId } from "../naming";
import { getProxyProvider } from "../proxy";
import { CaddyProvider } from "../proxy/caddy";
import { getSettings } from "../settings/get-settings";
import { updateSettings } from "../configuration/update-settings";
import { upstreamFor } from "../deployer/container-plan";
import { createInstance } from "../deployer/create-instance";
import { getInstance } from "../instances/get-instance";
import { waitForJob } from "../deployer/jobs";
import { redeployInstance } from "../deployer/redeploy-instance";
import { removeInstance } from "../deployer/remove-instance";
import { rollbackInstance } from "../deployer/rollback-instance";
import { startInstance, stopInstance } from "../deployer/stop-start-instance";
import { CADDY, eventually, httpGet, TEST_NETWORK } from "../../test/helpers/http";
import { managedPowerDnsWithCaddy } from "../../test/helpers/dns-fixtures";
import { pdns } from "../../test/chaos/pdns";
import { runSync } from "./run-sync";
import type { SyncReport } from "./report";

// SPEC §13 against the real engine, Caddy and PowerDNS (managed mode): syncs
// fired every 200 ms while operations run must never move a route off the
// serving container, restart a stopped instance or delete a fresh record.

const rand = randomBytes(3).toString("hex");
const ZONE = `wharf-i11-${rand}.test`;
const TARGET = "203.0.113.11";
const rt = getRuntime();
const resolver = new Resolver({ timeout: 2_000, tries: 2 });
resolver.setServers(["127.0.0.1:5300"]);
const resolveA = (fqdn: string) => resolver.resolve4(fqdn).catch((err: NodeJS.ErrnoException) => err.code ?? "error");
// 10 s: on a loaded CI machine a slow answer is not an outage; a refused or reset connection still fails the probe.
const viaCaddy = (name: string) => httpGet({ port: CADDY.httpPort, host: `${name}.${ZONE}`, timeoutMs: 10_000 });

/** Runs syncs back to back (200 ms apart) until `work` settles; returns their reports. */
async function syncStorm(work: Promise<unknown>): Promise<SyncReport[]> {
  let done = false;
  void work.finally(() => (done = true)).catch(() => undefined);
  const reports: SyncReport[] = [];
  while (!done) {
    try {
      reports.push(await runSync({ trigger: "manual" }));
    } catch (err) {
      if (!(isAppError(err) && err.code === "SYNC_IN_PROGRESS")) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await work;
  return reports;
}

/** The invariants of a settled instance (the list, for one instance). */
async function expectSettled(id: string, body: string | null) {
  const inst = await db.instance.findUniqueOrThrow({ where: { id } });
  const running = (await rt.listManagedContainers({ instanceId: id })).filter((c) => c.state === "running");
  const fqdn = `${inst.subdomain}.${ZONE}`;
  if (body) {
    expect(inst.status).toBe("running");
    expect(running.map((c) => c.id)).toEqual([inst.containerId]);
    const route = (await getProxyProvider(await getSettings())!.listRoutes()).find((r) => r.id === routeId("instance", id));
    expect(route?.upstreams[0]).toEqual(upstreamFor(await getSettings(), running[0], inst.port));
    expect((await viaCaddy(inst.subdomain)).body).toContain(body);
    expect(await resolveA(fqdn)).toEqual([TARGET]);
  } else {
    expect(inst.status).toBe("stopped");
    expect(running).toEqual([]);
  }
}

const skippedFor = (reports: SyncReport[], id: string) => reports.flatMap((r) => r.skipped).filter((s) => s.consumer === `instance:${id}`).map((s) => s.reason);
const dnsDeletesOf = (reports: SyncReport[], fqdn: string) => reports.flatMap((r) => r.lines).filter((l) => l.kind === "dns" && l.action === "delete" && l.name === fqdn);

beforeAll(async () => {
  process.env.WHARF_DRAIN_MS = "300";
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  await managedPowerDnsWithCaddy(ZONE, TARGET);
});

afterAll(async () => {
  vi.restoreAllMocks();
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
  await pdns("DELETE", `/zones/${ZONE}.`);
});

describe("syncs every 200 ms during lifecycle operations", () => {
  const name = `cc-${rand}`;
  let id = "";

  it("a fresh deploy: the sync skips the busy instance, never deletes its fresh record; it ends served and resolving", async () => {
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: "wharf-test/slow:v1", port: 8080 } });
    id = created.id;
    const reports = await syncStorm(waitForJob(id));
    expect(reports.length).toBeGreaterThan(2);
    expect(skippedFor(reports, id)).toContain("busy: deploy");
    expect(dnsDeletesOf(reports, `${name}.${ZONE}`)).toEqual([]);
    await expectSettled(id, "wharf-test slow");
    // And the first quiet sync afterwards changes nothing.
    const quiet = await runSync({ trigger: "manual" });
    expect({ created: quiet.created, deleted: quiet.deleted, restarted: quiet.containers.restarted, repaired: quiet.routes.repaired, skipped: quiet.skipped }).toEqual({ created: 0, deleted: 0, restarted: 0, repaired: 0, skipped: [] });
  });

  it("a redeploy: the route stays on the serving container; afterwards exactly one runs and it is the route's target", async () => {
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: "wharf-test/web:v2" } });
    // Each answer's status, or the error of a request that got none (so a failure says what it was).
    const statuses: (number | string)[] = [];
    let done = false;
    const job = waitForJob(id).then(() => (done = true));
    const probe = (async () => {
      while (!done) statuses.push(await viaCaddy(name).then((r) => r.status, (err: unknown) => `${new Date().toISOString()} ${err instanceof Error ? err.message : String(err)}`));
    })();
    const reports = await syncStorm(job);
    await probe;
    expect(skippedFor(reports, id)).toContain("busy: redeploy");
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await expectSettled(id, "wharf-test v2");
  });

  it("a rollback: same, back on the kept container", async () => {
    await rollbackInstance({ actor: SYSTEM_ACTOR, id });
    const reports = await syncStorm(waitForJob(id));
    expect(skippedFor(reports, id)).toContain("busy: rollback");
    await expectSettled(id, "wharf-test slow");
  });

  it("a stop: stopped stays stopped, across later syncs too", async () => {
    const stop = stopInstance({ actor: SYSTEM_ACTOR, id });
    await syncStorm(stop);
    await expectSettled(id, null);
    for (let i = 0; i < 3; i++) {
      const r = await runSync({ trigger: "manual" });
      expect(r.containers.restarted).toBe(0);
    }
    await expectSettled(id, null);
  });

  it("a start: served again, with its record back", async () => {
    await startInstance({ actor: SYSTEM_ACTOR, id });
    const reports = await syncStorm(waitForJob(id));
    expect(skippedFor(reports, id)).toContain("busy: start");
    await expectSettled(id, "wharf-test slow");
  });

  it("a second operation on a busy instance gets 409 naming the running one", async () => {
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: "wharf-test/web:v1" } });
    const err = await stopInstance({ actor: SYSTEM_ACTOR, id }).catch((e: unknown) => e);
    expect(isAppError(err) && err.status).toBe(409);
    expect((err as Error).message).toBe(`instance ${name} is busy: redeploy is running; try again when it has finished`);
    await waitForJob(id);
    await expectSettled(id, "wharf-test v1");
  });

  it("a cancel written by another process (the flag in the database) reaches the job within a couple of heartbeats", async () => {
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: "wharf-test/slow:v1" } });
    const step = await eventually(() => db.deploymentStep.findFirst({ where: { name: "health", status: "running", deployment: { instanceId: id, status: "running" } } }), { what: "health step" });
    const t0 = Date.now();
    await db.deployment.updateMany({ where: { instanceId: id, status: "running" }, data: { cancelRequested: true } });
    // The cancel has reached the job when its health wait ends. Measured to there, not to the end of
    // the job: the compensation after it (removing the new container) runs at the engine's pace.
    await eventually(async () => (await db.deploymentStep.findUniqueOrThrow({ where: { id: step.id } })).status !== "running", { intervalMs: 25, what: "health step ended" });
    expect(Date.now() - t0).toBeLessThan(2_500);
    await waitForJob(id);
    const dep = await db.deployment.findFirstOrThrow({ where: { instanceId: id }, orderBy: { startedAt: "desc" } });
    expect(dep.status).toBe("cancelled");
    await expectSettled(id, "wharf-test v1");
  });
});

describe("switches that cannot lose the route", () => {
  const name = `sw-${rand}`;
  let id = "";

  beforeAll(async () => {
    id = (await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: "wharf-test/web:v1", port: 8080 } })).id;
    await waitForJob(id);
  });

  it("a switch write that landed but whose answer was lost is finished, not undone", async () => {
    const real = CaddyProvider.prototype.ensureRoute;
    const spy = vi.spyOn(CaddyProvider.prototype, "ensureRoute").mockImplementationOnce(async function (this: CaddyProvider, spec) {
      await real.call(this, spec);
      throw new Error("socket hang up (the answer was lost)");
    });
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: "wharf-test/web:v2" } });
    await waitForJob(id);
    spy.mockRestore();
    const dep = await db.deployment.findFirstOrThrow({ where: { instanceId: id }, orderBy: { startedAt: "desc" }, include: { steps: true } });
    expect(dep.status).toBe("succeeded");
    expect(dep.steps.find((s) => s.name === "switch" && s.status === "succeeded")?.message).toMatch(/answer was lost.*read back/);
    await expectSettled(id, "wharf-test v2");
  });

  it("a switch that failed while the route cannot be read keeps blue serving and removes green only once the route is back on blue", async () => {
    const before = await db.instance.findUniqueOrThrow({ where: { id } });
    const ensure = vi.spyOn(CaddyProvider.prototype, "ensureRoute").mockRejectedValueOnce(new Error("Caddy admin API PATCH failed (500)"));
    // The read-backs fail too (three attempts): the deployer must not decide that green is unused.
    const list = vi.spyOn(CaddyProvider.prototype, "listRoutes");
    for (let i = 0; i < 3; i++) list.mockRejectedValueOnce(new Error("connect ECONNREFUSED"));
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: "wharf-test/web:v1" } });
    await waitForJob(id);
    ensure.mockRestore();
    list.mockRestore();
    const dep = await db.deployment.findFirstOrThrow({ where: { instanceId: id }, orderBy: { startedAt: "desc" }, include: { steps: { orderBy: { position: "asc" } } } });
    expect(dep.status).toBe("failed");
    // The route was put back on blue explicitly, then green was removed.
    expect(dep.steps.map((s) => `${s.name}:${s.status}`)).toEqual(expect.arrayContaining(["switch:failed", "switch:succeeded", "compensate:succeeded"]));
    const after = await db.instance.findUniqueOrThrow({ where: { id } });
    expect(after.containerId).toBe(before.containerId);
    await expectSettled(id, "wharf-test v2");
  });
});
