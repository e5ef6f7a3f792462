import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { getRuntime } from "../docker";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { getProxyProvider } from "../proxy";
import { getSettings } from "../settings/get-settings";
import { updateSettings } from "../configuration/update-settings";
import { routeId, LABEL_INSTANCE, LABEL_MANAGED } from "../naming";
import { CADDY, eventually, httpGet, TEST_NETWORK } from "../../test/helpers/http";
import { createInstance } from "./create-instance";
import { getInstance } from "../instances/get-instance";
import { waitForJob } from "./jobs";
import { redeployInstance } from "./redeploy-instance";
import { removeInstance } from "./remove-instance";
import { rollbackInstance } from "./rollback-instance";
import { stopInstance, startInstance } from "./stop-start-instance";
import { cancelDeployment } from "./cancel-deployment";

// Real dockerd and Caddy (test/services/start.sh), real test images (test/images/build.sh).
const rand = randomBytes(3).toString("hex");
const network = TEST_NETWORK;
const base = `it-${rand}.wharf.test`;
const rt = getRuntime();

async function deploy(name: string, image: string, extra: Record<string, unknown> = {}) {
  const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image, port: 8080, ...extra } });
  expect(created.status).toBe("deploying");
  await waitForJob(created.id);
  return getInstance(created.id);
}

const containersOf = (id: string) => rt.listManagedContainers({ instanceId: id });
const viaCaddy = (name: string) => httpGet({ port: CADDY.httpPort, host: `${name}.${base}` });

beforeAll(async () => {
  process.env.WHARF_DRAIN_MS = "2500";
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: {
      baseDomain: base,
      docker: { network },
      proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
    },
  });
});

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
});

describe("deploy, redeploy, rollback, remove on a real engine behind real Caddy", () => {
  const name = `web-${rand}`;
  let id = "";

  it("deploys: one running container with both labels, instance running, served through Caddy", async () => {
    const inst = await deploy(name, "wharf-test/web:v1", { env: [{ key: "GREETING", value: "hi", secret: false }, { key: "TOKEN", value: "s3cret", secret: true }] });
    id = inst.id;
    expect(inst.status).toBe("running");
    expect(inst.route.status).toBe("active");
    expect(inst.env).toEqual([{ key: "GREETING", value: "hi", secret: false }, { key: "TOKEN", secret: true }]);
    const cs = await containersOf(id);
    expect(cs).toHaveLength(1);
    expect(cs[0].state).toBe("running");
    expect(cs[0].labels[LABEL_MANAGED]).toBe("true");
    expect(cs[0].labels[LABEL_INSTANCE]).toBe(id);
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
    const history = await db.deployment.findMany({ where: { instanceId: id }, include: { steps: true } });
    expect(history).toHaveLength(1);
    expect(history[0].status).toBe("succeeded");
    expect(history[0].steps.map((s) => s.name)).toEqual(expect.arrayContaining(["pull", "create", "start", "health", "route", "dns"]));
  });

  it("redeploys blue-green: both exist during the switch, then the new one serves and the old one is kept stopped", async () => {
    const before = (await getInstance(id)).containerId!;
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: "wharf-test/web:v2" } });
    expect((await getInstance(id)).status).toBe("redeploying");
    // At the switch step, green has been created beside blue, and blue still runs.
    await eventually(() => db.deploymentStep.findFirst({ where: { name: "switch", deployment: { instanceId: id, kind: "redeploy" } } }), { what: "switch step" });
    const during = await containersOf(id);
    expect(during).toHaveLength(2);
    expect(during.find((c) => c.id === before)?.state).toBe("running");
    await waitForJob(id);
    const after = await getInstance(id);
    expect(after.status).toBe("running");
    expect(after.image).toBe("wharf-test/web:v2");
    expect(after.containerId).not.toBe(before);
    expect((await viaCaddy(name)).body).toContain("wharf-test v2");
    const old = await rt.inspectContainer(before);
    expect(old?.state).toBe("exited");
    expect(after.rollback?.image).toBe("wharf-test/web:v1");
  });

  it("rolls back: the old image serves again", async () => {
    await rollbackInstance({ actor: SYSTEM_ACTOR, id });
    await waitForJob(id);
    const inst = await getInstance(id);
    expect(inst.status).toBe("running");
    expect(inst.image).toBe("wharf-test/web:v1");
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
    expect(inst.rollback?.image).toBe("wharf-test/web:v2");
    expect((await containersOf(id)).filter((c) => c.state === "running")).toHaveLength(1);
  });

  it("answers every request through Caddy while a redeploy switches containers", async () => {
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: "wharf-test/web:v2" } });
    let done = false;
    const job = waitForJob(id).then(() => (done = true));
    const statuses: number[] = [];
    const failures: string[] = [];
    // Bounded: stops when the job ends, after 2000 requests or 90 s.
    const until = Date.now() + 90_000;
    while (!done && statuses.length + failures.length < 2000 && Date.now() < until) {
      await viaCaddy(name).then((r) => statuses.push(r.status), (err: Error) => failures.push(err.message));
    }
    await job;
    expect(failures).toEqual([]);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(statuses.length).toBeGreaterThan(10);
    expect((await viaCaddy(name)).body).toContain("wharf-test v2");
    await rollbackInstance({ actor: SYSTEM_ACTOR, id });
    await waitForJob(id);
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
  });

  it("stops and starts again, re-pointing the route", async () => {
    const stopped = await stopInstance({ actor: SYSTEM_ACTOR, id });
    expect(stopped.status).toBe("stopped");
    await startInstance({ actor: SYSTEM_ACTOR, id });
    await waitForJob(id);
    expect((await getInstance(id)).status).toBe("running");
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
  });

  it("removes: no container with the label, no Wharf route for it, no row", async () => {
    await removeInstance({ actor: SYSTEM_ACTOR, id });
    expect(await containersOf(id)).toHaveLength(0);
    const routes = await getProxyProvider(await getSettings())!.listRoutes();
    expect(routes.map((r) => r.id)).not.toContain(routeId("instance", id));
    expect(await db.instance.findUnique({ where: { id } })).toBeNull();
  });
});

describe("failures leave nothing behind", () => {
  it("an image whose process exits at once ends failed with the reason and no container", async () => {
    const inst = await deploy(`crash-${rand}`, "wharf-test/crash:v1");
    expect(inst.status).toBe("failed");
    expect(inst.error).toMatch(/exit/i);
    expect(await containersOf(inst.id)).toHaveLength(0);
    const routes = await getProxyProvider(await getSettings())!.listRoutes();
    expect(routes.map((r) => r.id)).not.toContain(routeId("instance", inst.id));
  });

  it("an image that never becomes healthy ends failed with the reason and no container", async () => {
    const inst = await deploy(`sick-${rand}`, "wharf-test/unhealthy:v1");
    expect(inst.status).toBe("failed");
    expect(inst.error).toMatch(/unhealthy|healthy/i);
    expect(await containersOf(inst.id)).toHaveLength(0);
  });

  it("a missing image fails at the pull with the registry's error", async () => {
    const inst = await deploy(`ghost-${rand}`, "127.0.0.1:1/wharf-test/nothing:v9");
    expect(inst.status).toBe("failed");
    expect(inst.error).toBeTruthy();
    expect(await containersOf(inst.id)).toHaveLength(0);
  });

  it("a failed redeploy keeps the old container serving", async () => {
    const inst = await deploy(`keep-${rand}`, "wharf-test/web:v1");
    await redeployInstance({ actor: SYSTEM_ACTOR, id: inst.id, body: { image: "wharf-test/crash:v1" } });
    await waitForJob(inst.id);
    const after = await getInstance(inst.id);
    expect(after.status).toBe("running");
    expect(after.image).toBe("wharf-test/web:v1");
    expect(after.error).toMatch(/redeploy/);
    expect((await viaCaddy(`keep-${rand}`)).body).toContain("wharf-test v1");
    expect(await containersOf(inst.id)).toHaveLength(1);
  });

  it("a cancelled deploy is compensated", async () => {
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name: `slow-${rand}`, image: "wharf-test/slow:v1", port: 8080 } });
    await eventually(() => db.deploymentStep.findFirst({ where: { name: "health", deployment: { instanceId: created.id } } }), { what: "health step" });
    await cancelDeployment({ actor: SYSTEM_ACTOR, id: created.id });
    await waitForJob(created.id);
    const inst = await getInstance(created.id);
    expect(inst.status).toBe("failed");
    expect(inst.error).toMatch(/cancelled/);
    expect(await containersOf(created.id)).toHaveLength(0);
    const dep = await db.deployment.findFirst({ where: { instanceId: created.id } });
    expect(dep?.status).toBe("cancelled");
  });
});

describe("upstream mode network", () => {
  it("points the route at the container name on the shared network (health from the image's HEALTHCHECK)", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { proxy: { upstream: { mode: "network", network } } } });
    try {
      const inst = await deploy(`net-${rand}`, "wharf-test/web-hc:v1");
      expect(inst.status).toBe("running");
      const c = (await containersOf(inst.id))[0];
      // Nothing is published on the host in this mode.
      expect(c.publishedPort).toBeNull();
      const route = (await getProxyProvider(await getSettings())!.listRoutes()).find((r) => r.id === routeId("instance", inst.id));
      expect(route?.upstreams).toEqual([{ scheme: "http", host: c.name, port: 8080 }]);
      await removeInstance({ actor: SYSTEM_ACTOR, id: inst.id });
    } finally {
      await updateSettings({ actor: SYSTEM_ACTOR, body: { proxy: { upstream: { mode: "host", hostAddress: "127.0.0.1" } } } });
    }
  });
});

describe("without a proxy provider", () => {
  it("instances still run and their route is not configured", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { proxy: { provider: null } } });
    const inst = await deploy(`bare-${rand}`, "wharf-test/web-hc:v1");
    expect(inst.status).toBe("running");
    expect(inst.route.status).toBe("not_configured");
    const c = (await containersOf(inst.id))[0];
    expect((await httpGet({ port: c.publishedPort! })).body).toContain("wharf-test v1");
  });
});
