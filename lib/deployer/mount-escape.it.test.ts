import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { resetEnvCache } from "../env";
import { SYSTEM_ACTOR, type Actor } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { TEST_NETWORK } from "../../test/helpers/http";
import { docker, execIn } from "../../test/helpers/docker-exec";
import { getRuntime } from "../docker";
import { mountsForCreate } from "./check-mounts";
import { createInstance } from "./create-instance";
import { getInstance } from "../instances/get-instance";
import { listDeployments } from "../instances/list-deployments";
import { waitForJob } from "./jobs";
import { redeployInstance } from "./redeploy-instance";
import { removeInstance } from "./remove-instance";
import { rollbackInstance } from "./rollback-instance";
import { startInstance, stopInstance } from "./stop-start-instance";

// Issue 21 against the real engine: a bind source planted as a symlink to `/`
// after the instance was stored, and volumes Wharf did not create.
const rand = randomBytes(3).toString("hex");
const base = `mnt-${rand}.wharf.test`;
const bindRoot = mkdtempSync(path.join(tmpdir(), "wharf-bind-"));
const ADMIN: Actor = { kind: "user", id: "admin-1", label: "admin@example.com", role: "admin" };
const foreign = `foreign-${rand}`;

async function failure(p: Promise<unknown>): Promise<{ code: string; field?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; field?: string; message: string };
  }
  throw new Error("expected a refusal");
}
/** Every container's bind sources on the engine that mention the planted path or the host root. */
async function bindsOf(containerId: string) {
  return ((await docker.getContainer(containerId).inspect()).HostConfig.Mounts ?? []).filter((m) => m.Type === "bind").map((m) => m.Source);
}

beforeAll(async () => {
  process.env.WHARF_DRAIN_MS = "300";
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  process.env.WHARF_STOP_TIMEOUT_S = "2";
  process.env.WHARF_BIND_ROOT = bindRoot;
  resetEnvCache();
  await updateSettings({
    actor: SYSTEM_ACTOR,
    // No proxy: what is tested is the container the engine creates (the health probe reaches it on its published port).
    body: { baseDomain: base, docker: { network: TEST_NETWORK }, proxy: { provider: null, upstream: { mode: "host", hostAddress: "127.0.0.1" } } },
  });
  await docker.createVolume({ Name: foreign, Labels: { "com.docker.compose.volume": "caddy_data" } });
});

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id, deleteVolumes: true }).catch(() => undefined);
  await docker.getVolume(foreign).remove().catch(() => undefined);
  rmSync(bindRoot, { recursive: true, force: true });
});

describe("a bind source swapped for a symlink to / after it was stored", () => {
  const name = `escape-${rand}`;
  let id = "";
  let firstContainer = "";

  it("a missing bind source is refused when stored (it must exist)", async () => {
    const err = await failure(createInstance({ actor: SYSTEM_ACTOR, body: { name, image: "wharf-test/web:v1", port: 8080, mounts: [{ type: "bind", source: path.join(bindRoot, "missing"), target: "/host" }] } }));
    expect(err).toMatchObject({ code: "VALIDATION", field: "mounts.0.source", message: expect.stringMatching(/does not exist/) });
  });

  it("deploys with a source inside the root; Docker gets the real path, not the typed link", async () => {
    mkdirSync(path.join(bindRoot, "real"));
    writeFileSync(path.join(bindRoot, "real", "hello.txt"), "inside\n");
    symlinkSync(path.join(bindRoot, "real"), path.join(bindRoot, "x"));
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: "wharf-test/web:v1", port: 8080, mounts: [{ type: "bind", source: path.join(bindRoot, "x"), target: "/host" }] } });
    id = created.id;
    await waitForJob(id);
    const inst = await getInstance(id);
    expect(inst.status).toBe("running");
    firstContainer = inst.containerId!;
    expect(await bindsOf(firstContainer)).toEqual([path.join(bindRoot, "real")]);
    expect((await execIn(firstContainer, ["cat", "/host/hello.txt"])).output.trim()).toBe("inside");
  });

  it("redeploy after x → / is refused naming the mount; nothing new starts, the old container keeps serving", async () => {
    rmSync(path.join(bindRoot, "x"));
    symlinkSync("/", path.join(bindRoot, "x"));
    const err = await failure(redeployInstance({ actor: SYSTEM_ACTOR, id, body: {} }));
    expect(err).toMatchObject({ code: "VALIDATION", field: "mounts.0.source", message: expect.stringContaining("outside the allowed bind-mount root") });
    const inst = await getInstance(id);
    expect(inst.containerId).toBe(firstContainer);
    const all = await docker.listContainers({ all: true, filters: { label: [`wharf.instance=${id}`] } });
    expect(all.map((c) => c.Id)).toEqual([firstContainer]);
  });

  it("the create step itself re-checks (a row stored before this fix reaches it unchecked): refused, real paths handed on", async () => {
    const rt = getRuntime();
    const planted = [{ type: "bind" as const, source: path.join(bindRoot, "x"), target: "/host", readOnly: false }];
    expect(await failure(mountsForCreate({ rt, instanceId: id, mounts: planted }))).toMatchObject({ field: "mounts.0.source", message: expect.stringContaining("resolves to /") });
    rmSync(path.join(bindRoot, "x"));
    symlinkSync(path.join(bindRoot, "real"), path.join(bindRoot, "x"));
    expect(await mountsForCreate({ rt, instanceId: id, mounts: planted })).toEqual([{ ...planted[0], source: path.join(bindRoot, "real") }]);
  });

  it("start of an existing container whose real bind source was replaced by a link to / is refused by the runtime", async () => {
    // Fresh instance on a real directory, stopped, then the directory swapped for a link.
    mkdirSync(path.join(bindRoot, "site"));
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name: `start-${rand}`, image: "wharf-test/web:v1", port: 8080, mounts: [{ type: "bind", source: path.join(bindRoot, "site"), target: "/host" }] } });
    await waitForJob(created.id);
    expect((await getInstance(created.id)).status).toBe("running");
    await stopInstance({ actor: SYSTEM_ACTOR, id: created.id });
    await waitForJob(created.id);
    renameSync(path.join(bindRoot, "site"), path.join(bindRoot, "site-old"));
    symlinkSync("/", path.join(bindRoot, "site"));
    await startInstance({ actor: SYSTEM_ACTOR, id: created.id }).catch(() => undefined);
    await waitForJob(created.id);
    const inst = await getInstance(created.id);
    expect(inst.container?.state).not.toBe("running");
    const [last] = await listDeployments({ instanceId: created.id, limit: 1 });
    expect(last.status).toBe("failed");
    expect(last.error ?? "").toMatch(/site:\/host: .*resolves to \/\)?/);
  });

  it("rollback to a kept container whose bind source became a link is refused too", async () => {
    const inst = await db.instance.findFirstOrThrow({ where: { name: `start-${rand}` } });
    // Put the real directory back, redeploy (the old container becomes the rollback target), then plant the link again.
    rmSync(path.join(bindRoot, "site"));
    renameSync(path.join(bindRoot, "site-old"), path.join(bindRoot, "site"));
    await redeployInstance({ actor: SYSTEM_ACTOR, id: inst.id, body: {} });
    await waitForJob(inst.id);
    if ((await getInstance(inst.id)).rollback === null) return expect.unreachable("a redeploy keeps a rollback target");
    const current = (await getInstance(inst.id)).containerId;
    renameSync(path.join(bindRoot, "site"), path.join(bindRoot, "site-old"));
    symlinkSync("/", path.join(bindRoot, "site"));
    await rollbackInstance({ actor: SYSTEM_ACTOR, id: inst.id }).catch(() => undefined);
    await waitForJob(inst.id);
    const [last] = await listDeployments({ instanceId: inst.id, limit: 1 });
    expect(last.status).toBe("failed");
    expect(last.error ?? "").toMatch(/bind mount/);
    expect((await getInstance(inst.id)).containerId).toBe(current);
  });
});

describe("named volumes", () => {
  it("a volume made with docker volume create is refused; an admin may adopt it (audited); Wharf's own labels pass", async () => {
    const err = await failure(createInstance({ actor: ADMIN, body: { name: `vol-${rand}`, image: "wharf-test/web:v1", port: 8080, mounts: [{ type: "volume", name: foreign, target: "/data" }] } }));
    expect(err).toMatchObject({ code: "FORBIDDEN", field: "mounts.0.name", message: expect.stringContaining("not created by Wharf") });
    expect(await db.instance.count({ where: { name: `vol-${rand}` } })).toBe(0);

    const viewer: Actor = { ...ADMIN, id: "viewer-1", role: "viewer" };
    const notAdmin = await failure(createInstance({ actor: viewer, body: { name: `vol-${rand}`, image: "wharf-test/web:v1", port: 8080, mounts: [{ type: "volume", name: foreign, target: "/data", adopt: true }] } }));
    expect(notAdmin).toMatchObject({ code: "FORBIDDEN", field: "mounts.0.adopt" });

    const adopted = await createInstance({ actor: ADMIN, body: { name: `vol-${rand}`, image: "wharf-test/web:v1", port: 8080, mounts: [{ type: "volume", name: foreign, target: "/data", adopt: true }] } });
    await waitForJob(adopted.id);
    expect((await getInstance(adopted.id)).status).toBe("running");
    expect(await db.auditEvent.findFirst({ where: { action: "volume.adopt", target: foreign } })).toMatchObject({ result: "ok", actorId: ADMIN.id });
  });
});
