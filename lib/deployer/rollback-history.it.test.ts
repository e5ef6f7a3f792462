import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { getRuntime } from "../docker";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { CADDY, httpGet, TEST_NETWORK } from "../../test/helpers/http";
import { AUTH_REGISTRY, pushTestImage } from "../../test/helpers/registry";
import { createInstance } from "./create-instance";
import { getInstance } from "../instances/get-instance";
import { listDeployments } from "../instances/list-deployments";
import { waitForJob } from "./jobs";
import { redeployInstance } from "./redeploy-instance";
import { removeInstance } from "./remove-instance";
import { rollbackInstance } from "./rollback-instance";

// Issue 22: rollback to any recorded deployment, on the real engine, Caddy and
// the authenticated loopback registry. Every rollback here has no kept
// container and no local image to fall back on: it must pull the recorded
// digest with the stored credentials.
const rand = randomBytes(3).toString("hex");
const base = `rb-${rand}.wharf.test`;
const repo = `${AUTH_REGISTRY.host}/lab/rb-${rand}`;
const rt = getRuntime();
const viaCaddy = (name: string) => httpGet({ port: CADDY.httpPort, host: `${name}.${base}` });

const imageIdOf = (containerId: string) => execFileSync("docker", ["inspect", "-f", "{{.Image}}", containerId], { encoding: "utf8" }).trim();

/** Every container of the instance except the serving one, and every local image of the repository: nothing to start again but the registry. */
async function dropKeptAndImages(id: string) {
  const inst = await getInstance(id);
  for (const c of await rt.listManagedContainers({ instanceId: id })) if (c.id !== inst.containerId) await rt.removeContainer(c.id);
  const ids = execFileSync("docker", ["image", "ls", "-q", "--no-trunc", repo], { encoding: "utf8" }).split("\n").filter(Boolean);
  const serving = imageIdOf(inst.containerId!);
  for (const img of new Set(ids)) {
    // The serving container's image stays (the engine refuses to remove it); the others go.
    if (img === serving) continue;
    execFileSync("docker", ["rmi", "-f", img], { stdio: "ignore" });
  }
}

beforeAll(async () => {
  process.env.WHARF_DRAIN_MS = "500";
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: {
      baseDomain: base,
      docker: { network: TEST_NETWORK },
      proxy: { provider: { type: "caddy", adminUrl: "http://127.0.0.1:2019", server: "wharf" }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
      registries: [{ host: AUTH_REGISTRY.host, username: AUTH_REGISTRY.username, password: AUTH_REGISTRY.password }],
    },
  });
});

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
});

describe("rollback to any recorded deployment", () => {
  const name = `rb-${rand}`;
  let id = "";
  let digestV1 = "";

  it("v1, then v2; v1's tag moved and every kept container and local image gone: rolling back serves the original v1 (pulled by digest)", async () => {
    digestV1 = pushTestImage("wharf-test/web:v1", `${repo}:v1`);
    pushTestImage("wharf-test/web:v2", `${repo}:v2`);
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: `${repo}:v1`, port: 8080 } });
    id = created.id;
    await waitForJob(id);
    expect((await getInstance(id)).status).toBe("running");
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
    const first = (await db.deployment.findMany({ where: { instanceId: id } }))[0];
    expect(first.digest).toBe(digestV1);
    expect(JSON.parse(first.spec!)).toMatchObject({ deployStrategy: "blue-green" });

    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: `${repo}:v2` } });
    await waitForJob(id);
    expect((await viaCaddy(name)).body).toContain("wharf-test v2");
    // The tag v1 now names other content.
    const moved = pushTestImage("wharf-test/web:v2", `${repo}:v1`);
    expect(moved).not.toBe(digestV1);
    await dropKeptAndImages(id);
    expect(await rt.imageInfo(`${repo}@${digestV1}`)).toBeNull();

    const before = await getInstance(id);
    await rollbackInstance({ actor: SYSTEM_ACTOR, id, body: {} });
    await waitForJob(id);
    const after = await getInstance(id);
    expect(after.status).toBe("running");
    expect(after.containerId).not.toBe(before.containerId);
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
    const [rollback] = await db.deployment.findMany({ where: { instanceId: id }, orderBy: { startedAt: "desc" }, take: 1, include: { steps: true } });
    expect(rollback).toMatchObject({ kind: "rollback", status: "succeeded", digest: digestV1 });
    expect(rollback.steps.find((s) => s.name === "pull")).toMatchObject({ status: "succeeded" });
    expect(imageIdOf(after.containerId!)).toBe((await rt.imageInfo(`${repo}@${digestV1}`))!.id);
  });

  it("rolls back to the first of three deployments by its id, the same way; the history offers it", async () => {
    // Third deployment: v2 again (the history now has v1, v2, rollback to v1, v2).
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: `${repo}:v2` } });
    await waitForJob(id);
    expect((await viaCaddy(name)).body).toContain("wharf-test v2");
    const history = await listDeployments({ instanceId: id });
    const first = history[history.length - 1];
    expect(first).toMatchObject({ kind: "deploy", digest: digestV1, canRollBackTo: true });
    expect(history[0].canRollBackTo).toBe(false);
    await dropKeptAndImages(id);
    await rollbackInstance({ actor: SYSTEM_ACTOR, id, body: { deploymentId: first.id } });
    await waitForJob(id);
    expect((await getInstance(id)).status).toBe("running");
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
  });

  it("a digest the registry no longer has is refused with that reason, and nothing changes", async () => {
    const gone = `sha256:${randomBytes(32).toString("hex")}`;
    const fake = await db.deployment.create({ data: { instanceId: id, kind: "redeploy", image: `${repo}:v0`, status: "succeeded", digest: gone, startedAt: new Date(Date.now() - 86_400_000) } });
    const before = await getInstance(id);
    const rows = await db.deployment.count({ where: { instanceId: id } });
    await expect(rollbackInstance({ actor: SYSTEM_ACTOR, id, body: { deploymentId: fake.id } })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(new RegExp(`cannot roll back to ${repo.replace(/[.]/g, "\\.")}@${gone}: .*registry ${AUTH_REGISTRY.host.replace(/[.]/g, "\\.")} has no manifest`)),
    });
    const after = await getInstance(id);
    expect({ status: after.status, containerId: after.containerId, image: after.image, error: after.error }).toEqual({ status: before.status, containerId: before.containerId, image: before.image, error: before.error });
    expect(await db.deployment.count({ where: { instanceId: id } })).toBe(rows);
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
  });

  it("refuses a deployment of another instance or one that failed, naming the field", async () => {
    const failed = await db.deployment.create({ data: { instanceId: id, kind: "redeploy", image: `${repo}:v2`, status: "failed", digest: digestV1 } });
    await expect(rollbackInstance({ actor: SYSTEM_ACTOR, id, body: { deploymentId: failed.id } })).rejects.toMatchObject({ code: "VALIDATION", field: "deploymentId" });
    await expect(rollbackInstance({ actor: SYSTEM_ACTOR, id, body: { deploymentId: "nope" } })).rejects.toMatchObject({ code: "VALIDATION", field: "deploymentId" });
    await expect(rollbackInstance({ actor: SYSTEM_ACTOR, id, body: { deploymentId: 5 } })).rejects.toMatchObject({ code: "VALIDATION", field: "deploymentId" });
  });
});
