import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { getRuntime } from "../docker";
import { resetEnvCache } from "../env";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { LABEL_INSTANCE, LABEL_MANAGED } from "../naming";
import { reconcileInfrastructure } from "../reconcile/infrastructure";
import { getSettings } from "../settings/get-settings";
import { CADDY, httpGet, TEST_NETWORK } from "../../test/helpers/http";
import { docker, execIn } from "../../test/helpers/docker-exec";
import { collectUsageOnce, newCollectorState } from "../usage/collect-usage";
import { getUsage } from "../instances/get-usage";
import { createInstance } from "./create-instance";
import { getInstance } from "../instances/get-instance";
import { listVolumes, deleteVolume } from "./instance-volumes";
import { waitForJob } from "./jobs";
import { redeployInstance } from "./redeploy-instance";
import { removeInstance } from "./remove-instance";
import { rollbackInstance } from "./rollback-instance";
import { startInstance, stopInstance } from "./stop-start-instance";

// Issue 14 against the real engine (test/services/start.sh) and test images (test/images/build.sh).
const rand = randomBytes(3).toString("hex");
const base = `vol-${rand}.wharf.test`;
const rt = getRuntime();
const bindRoot = mkdtempSync(path.join(tmpdir(), "wharf-bind-"));
// The test images' web server, as a command override (a shell with a TERM trap, see test/images/build.sh).
const serve = "httpd -f -p 8080 -h /www & pid=$!; trap 'kill $pid; exit 0' TERM; wait $pid";

async function deploy(name: string, extra: Record<string, unknown>) {
  const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: "wharf-test/web:v1", port: 8080, ...extra } });
  await waitForJob(created.id);
  return getInstance(created.id);
}
async function settle(id: string) {
  await waitForJob(id);
  return getInstance(id);
}
const read = async (containerId: string, file: string) => (await execIn(containerId, ["cat", file])).output.trim();
const volumeExists = async (name: string) => (await docker.listVolumes({ filters: { name: [name] } })).Volumes?.some((v) => v.Name === name) ?? false;

async function refusal(body: Record<string, unknown>): Promise<{ code: string; field?: string; message: string }> {
  try {
    await createInstance({ actor: SYSTEM_ACTOR, body: { image: "wharf-test/web:v1", port: 8080, ...body } });
  } catch (err) {
    return err as { code: string; field?: string; message: string };
  }
  throw new Error("expected a refusal");
}

beforeAll(async () => {
  process.env.WHARF_DRAIN_MS = "500";
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  process.env.WHARF_STOP_TIMEOUT_S = "3";
  process.env.WHARF_BIND_ROOT = bindRoot;
  resetEnvCache();
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: { baseDomain: base, docker: { network: TEST_NETWORK }, proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } } },
  });
});

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id, deleteVolumes: true }).catch(() => undefined);
  // Only what this file created: volumes named after its instances.
  for (const v of (await docker.listVolumes()).Volumes ?? []) if (v.Name.includes(rand)) await docker.getVolume(v.Name).remove().catch(() => undefined);
});

describe("a named volume survives the lifecycle", () => {
  const name = `data-${rand}`;
  let id = "";
  let volume = "";

  it("deploys with a Wharf-named, labelled volume, limits and a command override", async () => {
    const inst = await deploy(name, {
      mounts: [{ type: "volume", target: "/data" }],
      limits: { cpus: 0.5, memoryMb: 64, pidsLimit: 100 },
      command: ["sh", "-c", `echo override-ran > /www/override.txt; ${serve}`],
    });
    id = inst.id;
    expect(inst.status).toBe("running");
    expect(inst.mounts).toHaveLength(1);
    volume = (inst.mounts[0] as { name: string }).name;
    expect(volume).toMatch(new RegExp(`^wharf-${name}-data-[0-9a-f]{6}$`));
    const vol = await docker.getVolume(volume).inspect();
    expect(vol.Labels).toMatchObject({ [LABEL_MANAGED]: "true", [LABEL_INSTANCE]: id });
    const raw = await docker.getContainer(inst.containerId!).inspect();
    expect(raw.HostConfig.NanoCpus).toBe(500_000_000);
    expect(raw.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(raw.HostConfig.PidsLimit).toBe(100);
    expect(raw.Mounts.find((m) => m.Destination === "/data")).toMatchObject({ Type: "volume", Name: volume });
    // The override ran (it wrote the file the server then serves through Caddy).
    expect(raw.Config.Cmd?.[0]).toBe("sh");
    const served = await httpGet({ port: CADDY.httpPort, host: `${name}.${base}`, path: "/override.txt" });
    expect(served.body.trim()).toBe("override-ran");
    await execIn(inst.containerId!, ["sh", "-c", "echo kept-$(hostname) > /data/file.txt"]);
  });

  it("keeps the file across redeploy (new limits applied), rollback, and stop/start", async () => {
    const first = (await getInstance(id)).containerId!;
    const written = await read(first, "/data/file.txt");
    expect(written).toMatch(/^kept-/);
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: "wharf-test/web:v2", limits: { cpus: 0.25 } } });
    const re = await settle(id);
    expect(re.status).toBe("running");
    expect(re.containerId).not.toBe(first);
    expect(re.limits).toEqual({ memoryMb: 64, cpus: 0.25, pidsLimit: 100 });
    expect((await docker.getContainer(re.containerId!).inspect()).HostConfig.NanoCpus).toBe(250_000_000);
    expect(await read(re.containerId!, "/data/file.txt")).toBe(written);

    await rollbackInstance({ actor: SYSTEM_ACTOR, id });
    const back = await settle(id);
    expect(back.status).toBe("running");
    expect(back.containerId).toBe(first);
    // The row's spec went back with the container.
    expect(back.limits.cpus).toBe(0.5);
    expect(await read(first, "/data/file.txt")).toBe(written);

    await stopInstance({ actor: SYSTEM_ACTOR, id });
    await startInstance({ actor: SYSTEM_ACTOR, id });
    const again = await settle(id);
    expect(again.status).toBe("running");
    expect(await read(again.containerId!, "/data/file.txt")).toBe(written);
  });

  it("stop-first: the old container is stopped before the new one starts, and the data is still there", async () => {
    await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { deployStrategy: "stop-first" } });
    const inst = await settle(id);
    expect(inst.status).toBe("running");
    expect(inst.deployStrategy).toBe("stop-first");
    const dep = await db.deployment.findFirstOrThrow({ where: { instanceId: id }, orderBy: { startedAt: "desc" }, include: { steps: { orderBy: { position: "asc" } } } });
    const names = dep.steps.map((s) => s.name);
    expect(names.indexOf("stop")).toBeGreaterThanOrEqual(0);
    expect(names.indexOf("stop")).toBeLessThan(names.indexOf("create"));
    expect(await read(inst.containerId!, "/data/file.txt")).toMatch(/^kept-/);
  });

  it("remove keeps the volume; it is listed as kept, reported as an orphan, attachable to a new instance; deleteVolumes deletes it", async () => {
    const removed = await removeInstance({ actor: SYSTEM_ACTOR, id });
    expect(removed.volumes).toEqual({ deleted: [], kept: [volume] });
    expect(await volumeExists(volume)).toBe(true);
    const listed = (await listVolumes()).volumes.find((v) => v.name === volume);
    expect(listed).toMatchObject({ instance: null, createdFor: id });
    expect(listed!.sizeBytes).toBeGreaterThan(0);

    const infra = await reconcileInfrastructure({ settings: await getSettings(), dryRun: true });
    expect(infra.orphans.volumes.map((v) => v.name)).toContain(volume);
    expect(await volumeExists(volume)).toBe(true);

    const reuse = await deploy(`again-${rand}`, { mounts: [{ type: "volume", name: volume, target: "/srv" }] });
    expect(reuse.status).toBe("running");
    expect(await read(reuse.containerId!, "/srv/file.txt")).toMatch(/^kept-/);
    await expect(deleteVolume({ actor: SYSTEM_ACTOR, name: volume })).rejects.toMatchObject({ code: "CONFLICT" });
    // A second instance may not mount a volume the first one uses.
    expect(await refusal({ name: `thief-${rand}`, mounts: [{ type: "volume", name: volume, target: "/x" }] })).toMatchObject({ code: "CONFLICT", field: "mounts.0.name" });

    const gone = await removeInstance({ actor: SYSTEM_ACTOR, id: reuse.id, deleteVolumes: true });
    expect(gone.volumes.deleted).toEqual([volume]);
    expect(await volumeExists(volume)).toBe(false);
  });
});

describe("bind mounts, OOM, usage", () => {
  it("refuses a bind mount outside the allowed root (and a symlink out of it), accepts one inside", async () => {
    expect(await refusal({ name: `bind-${rand}`, mounts: [{ type: "bind", source: "/etc", target: "/host-etc" }] })).toMatchObject({ code: "VALIDATION", field: "mounts.0.source" });
    expect(await refusal({ name: `bind-${rand}`, mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/sock" }] })).toMatchObject({ code: "VALIDATION", field: "mounts.0.source" });
    const { symlinkSync } = await import("node:fs");
    symlinkSync("/etc", path.join(bindRoot, "escape"));
    expect(await refusal({ name: `bind-${rand}`, mounts: [{ type: "bind", source: path.join(bindRoot, "escape"), target: "/e" }] })).toMatchObject({ field: "mounts.0.source" });
    expect(await db.instance.count({ where: { name: `bind-${rand}` } })).toBe(0);

    mkdirSync(path.join(bindRoot, "site"));
    writeFileSync(path.join(bindRoot, "site", "hello.txt"), "from-the-host\n");
    const inst = await deploy(`bind-${rand}`, { mounts: [{ type: "bind", source: path.join(bindRoot, "site"), target: "/www/site", readOnly: true }] });
    expect(inst.status).toBe("running");
    expect((await httpGet({ port: CADDY.httpPort, host: `bind-${rand}.${base}`, path: "/site/hello.txt" })).body.trim()).toBe("from-the-host");
    const w = await execIn(inst.containerId!, ["sh", "-c", "echo x > /www/site/new.txt"]);
    expect(w.exitCode).not.toBe(0); // read-only
    await removeInstance({ actor: SYSTEM_ACTOR, id: inst.id, deleteVolumes: true });
  });

  it("a container limited to 32 MB that allocates more is reported OOMKilled", async () => {
    // tail buffers its whole input looking for the last lines: /dev/zero has none, so it grows until killed.
    const inst = await deploy(`oom-${rand}`, { limits: { memoryMb: 32 }, command: ["tail", "/dev/zero"], restartPolicy: "no" });
    expect(inst.status).toBe("failed");
    expect(inst.error).toMatch(/OOMKilled/);
    expect(inst.error).toMatch(/OOM killer/);
  });

  it("usage samples appear for a running instance", async () => {
    const inst = await deploy(`usage-${rand}`, { limits: { memoryMb: 48 } });
    const state = newCollectorState();
    const t0 = new Date();
    expect((await collectUsageOnce({ state, now: t0 })).samples).toBeGreaterThanOrEqual(1);
    // Some work between the reads so the CPU delta is positive.
    await execIn(inst.containerId!, ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"]);
    await collectUsageOnce({ state, now: new Date(t0.getTime() + 15_000) });
    const { samples } = await getUsage({ instanceId: inst.id });
    expect(samples).toHaveLength(2);
    expect(samples[0].cpuPercent).toBeNull(); // no previous read yet
    expect(samples[1].cpuPercent).toBeGreaterThan(0);
    for (const s of samples) {
      expect(s.memoryBytes).toBeGreaterThan(0);
      expect(s.memoryLimitBytes).toBe(48 * 1024 * 1024);
    }
    expect((await getUsage({ instanceId: inst.id, since: new Date(t0.getTime() + 1000).toISOString() })).samples).toHaveLength(1);
  });
});
