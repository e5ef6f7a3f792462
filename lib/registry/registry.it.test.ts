import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { getRuntime } from "../docker";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { getSettings } from "../settings/get-settings";
import { toPublicSettings } from "../settings/public-settings";
import { CADDY, httpGet, TEST_NETWORK } from "../../test/helpers/http";
import { AUTH_REGISTRY, PUBLIC_REGISTRY, pushTestImage } from "../../test/helpers/registry";
import { createInstance } from "../deployer/create-instance";
import { getInstance } from "../instances/get-instance";
import { waitForJob } from "../deployer/jobs";
import { redeployInstance } from "../deployer/redeploy-instance";
import { removeInstance } from "../deployer/remove-instance";
import { rollbackInstance } from "../deployer/rollback-instance";
import { setAutoUpdate } from "../deployer/set-auto-update";
import { checkInstanceUpdateNow, checkUpdates } from "../updates/check-updates";
import { headManifestDigest, testRegistryLogin } from "./registry-client";

// Real dockerd, Caddy and the two loopback docker-registry services of
// test/services/start.sh: every pull here goes over the wire.
const rand = randomBytes(3).toString("hex");
const base = `reg-${rand}.wharf.test`;
const repo = `lab/it-${rand}`;
const image = `${AUTH_REGISTRY.host}/${repo}:v1`;
const rt = getRuntime();
let digestV1 = "";

const viaCaddy = (name: string) => httpGet({ port: CADDY.httpPort, host: `${name}.${base}` });
const lastDeployment = (instanceId: string) => db.deployment.findFirstOrThrow({ where: { instanceId }, orderBy: { startedAt: "desc" }, include: { steps: true } });

beforeAll(async () => {
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  process.env.WHARF_DRAIN_MS = "500";
  digestV1 = pushTestImage("wharf-test/web:v1", image);
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: {
      baseDomain: base,
      docker: { network: TEST_NETWORK },
      proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
    },
  });
});

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
});

describe("registry client against a real docker-registry with htpasswd", () => {
  it("Test login: ok with the right password, the registry's refusal otherwise", async () => {
    expect(await testRegistryLogin({ registry: AUTH_REGISTRY.host, creds: AUTH_REGISTRY })).toEqual({ ok: true, message: `logged in to ${AUTH_REGISTRY.host} as wharf-ci` });
    expect(await testRegistryLogin({ registry: AUTH_REGISTRY.host, creds: { username: "wharf-ci", password: "wrong" } })).toEqual({
      ok: false,
      message: `registry ${AUTH_REGISTRY.host} refused the credentials for /v2/`,
    });
  });

  it("a manifest HEAD gives the digest the push produced; without credentials it is refused", async () => {
    expect(await headManifestDigest({ registry: AUTH_REGISTRY.host, repository: repo, reference: "v1", creds: AUTH_REGISTRY })).toBe(digestV1);
    await expect(headManifestDigest({ registry: AUTH_REGISTRY.host, repository: repo, reference: "v1", creds: null })).rejects.toThrow(
      `registry ${AUTH_REGISTRY.host} requires credentials for ${repo}`,
    );
  });
});

describe("deploying from an authenticated registry", () => {
  const name = `reg-${rand}`;
  let id = "";

  it("without credentials: the deploy fails and says the registry wants them", async () => {
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image, port: 8080 } });
    id = created.id;
    await waitForJob(id);
    const inst = await getInstance(id);
    expect(inst.status).toBe("failed");
    expect(inst.error).toContain(`registry ${AUTH_REGISTRY.host} requires credentials for ${repo}`);
    const pull = (await lastDeployment(id)).steps.find((s) => s.name === "pull");
    expect(pull?.status).toBe("failed");
  });

  it("with a wrong password: refused, naming the registry and the repository", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { registries: [{ host: AUTH_REGISTRY.host, username: "wharf-ci", password: "not-the-password" }] } });
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: {} });
    await waitForJob(id);
    const inst = await getInstance(id);
    expect(inst.status).toBe("failed");
    expect(inst.error).toContain(`registry ${AUTH_REGISTRY.host} refused the credentials for ${repo}`);
  });

  it("with the credentials: pulls with progress (bytes and layers recorded), runs exactly the pushed digest", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { registries: [{ host: AUTH_REGISTRY.host, username: "wharf-ci", password: AUTH_REGISTRY.password }] } });
    expect(toPublicSettings(await getSettings()).registries).toEqual([{ host: AUTH_REGISTRY.host, username: "wharf-ci", passwordSet: true }]);
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: {} });
    await waitForJob(id);
    const inst = await getInstance(id);
    expect(inst.status).toBe("running");
    expect(inst.digest).toBe(digestV1);
    const dep = await lastDeployment(id);
    expect(dep.digest).toBe(digestV1);
    expect(dep.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const pull = dep.steps.find((s) => s.name === "pull")!;
    expect(pull.status).toBe("succeeded");
    // push.sh adds a 512 KiB layer of random bytes (compressed, it stays that size).
    expect(pull.bytesTotal).toBeGreaterThan(500_000);
    expect(pull.bytesDone).toBe(pull.bytesTotal);
    expect(pull.layersTotal).toBeGreaterThanOrEqual(2);
    expect(pull.layersDone).toBe(pull.layersTotal);
    expect(pull.finishedAt!.getTime()).toBeGreaterThanOrEqual(pull.startedAt.getTime());
    expect(pull.message).toMatch(/^pulled .*: \d+\/\d+ layers, [\d.]+ kB of [\d.]+ kB$/);
    // The container was created from the digest, not the movable tag.
    const c = await rt.inspectContainer(inst.containerId!);
    expect(c?.image).toBe(`${AUTH_REGISTRY.host}/${repo}@${digestV1}`);
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
  });

  let digestV1b = "";
  it("a new push of the same tag: update available, nothing deployed while auto-update is off", async () => {
    expect((await checkInstanceUpdateNow({ id })).outcome).toBe("current");
    digestV1b = pushTestImage("wharf-test/web:v2", image);
    expect(digestV1b).not.toBe(digestV1);
    const deploymentsBefore = await db.deployment.count({ where: { instanceId: id } });
    expect(await checkInstanceUpdateNow({ id })).toEqual({ instanceId: id, outcome: "available", latestDigest: digestV1b });
    const inst = await getInstance(id);
    expect(inst.updateAvailable).toBe(true);
    expect(inst.digest).toBe(digestV1);
    expect(await db.deployment.count({ where: { instanceId: id } })).toBe(deploymentsBefore);
  });

  it("with auto-update on: the scheduled check redeploys blue-green to the new digest, trigger update", async () => {
    await setAutoUpdate({ actor: SYSTEM_ACTOR, id, autoUpdate: true });
    // Due by the interval: pretend the last check was two hours ago.
    await db.instance.update({ where: { id }, data: { updateCheckedAt: new Date(Date.now() - 2 * 3600_000) } });
    const results = await checkUpdates();
    expect(results.find((r) => r.instanceId === id)).toMatchObject({ outcome: "deployed", latestDigest: digestV1b });
    await waitForJob(id);
    const inst = await getInstance(id);
    expect(inst.status).toBe("running");
    expect(inst.digest).toBe(digestV1b);
    expect(inst.updateAvailable).toBe(false);
    const dep = await lastDeployment(id);
    expect(dep.kind).toBe("update");
    expect(dep.actor).toBe("auto-update");
    expect(dep.status).toBe("succeeded");
    expect(dep.digest).toBe(digestV1b);
    expect((await viaCaddy(name)).body).toContain("wharf-test v2");
    // Checked a moment ago: not due again.
    expect((await checkUpdates()).find((r) => r.instanceId === id)).toBeUndefined();
  });

  it("rollback runs the old digest although the tag has moved, and auto-update does not undo it", async () => {
    await rollbackInstance({ actor: SYSTEM_ACTOR, id });
    await waitForJob(id);
    const inst = await getInstance(id);
    expect(inst.status).toBe("running");
    expect(inst.digest).toBe(digestV1);
    expect((await lastDeployment(id)).digest).toBe(digestV1);
    expect((await viaCaddy(name)).body).toContain("wharf-test v1");
    expect(await headManifestDigest({ registry: AUTH_REGISTRY.host, repository: repo, reference: "v1", creds: AUTH_REGISTRY })).toBe(digestV1b);
    // The tag points at the digest the rollback left: shown as available, not redeployed.
    expect((await checkInstanceUpdateNow({ id })).outcome).toBe("available");
    expect((await getInstance(id)).status).toBe("running");
  });

  it("a redeploy by digest starts exactly that digest", async () => {
    const pinned = `${AUTH_REGISTRY.host}/${repo}@${digestV1b}`;
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: pinned } });
    await waitForJob(id);
    const inst = await getInstance(id);
    expect(inst.status).toBe("running");
    expect(inst.image).toBe(pinned);
    expect(inst.digest).toBe(digestV1b);
    expect((await checkInstanceUpdateNow({ id })).outcome).toBe("skipped");
  });
});

describe("deploying from a public registry", () => {
  it("needs no credentials and records the digest", async () => {
    const pub = `${PUBLIC_REGISTRY.host}/lab/it-${rand}:v1`;
    const digest = pushTestImage("wharf-test/web:v1", pub);
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name: `pub-${rand}`, image: pub, port: 8080 } });
    await waitForJob(created.id);
    const inst = await getInstance(created.id);
    expect(inst.status).toBe("running");
    expect(inst.digest).toBe(digest);
  });
});
