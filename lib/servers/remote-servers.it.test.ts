import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { createInstance } from "../deployer/create-instance";
import { waitForJob } from "../deployer/jobs";
import { redeployInstance } from "../deployer/redeploy-instance";
import { removeInstance } from "../deployer/remove-instance";
import { rollbackInstance } from "../deployer/rollback-instance";
import { startInstance, stopInstance } from "../deployer/stop-start-instance";
import { getRuntime } from "../docker";
import { getHealth } from "../health/get-health";
import { getInstance } from "../instances/get-instance";
import { stopContainerWatch, watchServers } from "../notifications/watch-containers";
import { deleteVolume, instanceVolumeNames, listVolumes } from "../deployer/instance-volumes";
import { streamInstanceLogs } from "../instances/instance-logs";
import { LABEL_INSTALLATION, LABEL_INSTANCE, LABEL_MANAGED, routeId } from "../naming";
import { installationId } from "../secrets";
import { getProxyProvider } from "../proxy";
import { runSync } from "../reconcile/run-sync";
import { getSettings } from "../settings/get-settings";
import { collectUsageOnce, newCollectorState } from "../usage/collect-usage";
import { CADDY, eventually, httpGet } from "../../test/helpers/http";
import { underLoad } from "../../test/helpers/load";
import { multihost, sshdAcceptedLogins } from "../../test/multihost";
import { pingServers } from "./fleet";
import { runtimeFor } from "./server-runtime";
import { createServer, updateServer } from "./servers";
import { testServer } from "./test-server";

// Issue 27 on real engines in network namespaces (test/services/multihost.sh):
// h1 reached over mutual TLS, h2 over a real sshd, plus the local engine.
// Images come from the test registry with credentials; Caddy on loopback
// serves every instance at its FQDN through the server's upstream address.
const rand = randomBytes(3).toString("hex");
const base = `srv-${rand}.wharf.test`;
const mh = multihost();
const REGISTRY = mh.registries.auth;
const image = (v: string) => `${REGISTRY}/lab/web:${v}`;
const script = path.resolve(import.meta.dirname, "../../test/services/multihost.sh");
const viaCaddy = (name: string) => httpGet({ port: CADDY.httpPort, host: `${name}.${base}`, timeoutMs: 3000 });
const servers: Record<"tls" | "ssh", string> = { tls: "", ssh: "" };
/** The docker CLI on that engine's own socket: the test's view of the remote host, not Wharf's. */
const dockerOn = (kind: "tls" | "ssh", args: string[]) => execFileSync("docker", ["-H", `unix://${mh.hosts[kind === "tls" ? 0 : 1].socket}`, ...args], { encoding: "utf8" });

/** The latest deployment's steps with their times: what a failed zero-downtime check is read against. */
async function stepsOf(instanceId: string): Promise<string> {
  const d = await db.deployment.findFirst({ where: { instanceId }, orderBy: { startedAt: "desc" }, include: { steps: { orderBy: { position: "asc" } } } });
  return (d?.steps ?? []).map((s) => `${s.startedAt.toISOString().slice(11, 23)} ${s.name} ${s.status} ${s.message ?? ""}`).join("\n");
}

async function settle(id: string) {
  await waitForJob(id);
  return getInstance(id);
}

beforeAll(async () => {
  // As the local blue-green test (deployer.it.test.ts): a request already inside the old container when CI's load stalls it gets 2.5 s to finish.
  process.env.WHARF_DRAIN_MS = "2500";
  process.env.WHARF_HEALTH_TIMEOUT_MS = "30000";
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: {
      baseDomain: base,
      docker: { network: "wharf-it" },
      proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
      registries: [{ host: REGISTRY, username: mh.registries.username, password: mh.registries.password }],
    },
  });
  const read = (p: string) => readFileSync(p, "utf8");
  servers.tls = (await createServer({ actor: SYSTEM_ACTOR, body: { name: `tls-${rand}`, transport: "tls", address: mh.tls.host, port: mh.tls.port, tls: { ca: read(mh.tls.caPath), cert: read(mh.tls.certPath), key: read(mh.tls.keyPath) } } })).id;
  servers.ssh = (await createServer({ actor: SYSTEM_ACTOR, body: { name: `ssh-${rand}`, transport: "ssh", address: mh.ssh.host, port: mh.ssh.port, ssh: { user: mh.ssh.username, privateKey: read(mh.ssh.privateKeyPath) } } })).id;
}, 60_000);

afterAll(async () => {
  execFileSync("bash", [script, "start-engine", "2"], { stdio: "pipe" });
  for (const i of await db.instance.findMany({ where: { status: { not: "removed" } } })) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
}, 120_000);

describe("servers over TLS and SSH", { timeout: 180_000 }, () => {
  it("Test connection reaches both engines; the SSH host key is pinned on the first test and is the server's", async () => {
    const t = await testServer({ actor: SYSTEM_ACTOR, id: servers.tls });
    expect(t).toMatchObject({ ok: true, engineVersion: expect.any(String) });
    const s = await testServer({ actor: SYSTEM_ACTOR, id: servers.ssh });
    expect(s).toMatchObject({ ok: true, hostKeySha256: mh.ssh.hostKey });
    expect(s.message).toContain("pinned");
    expect((await db.server.findUniqueOrThrow({ where: { id: servers.ssh } })).hostKeySha256).toBe(mh.ssh.hostKey);
    expect((await db.server.findMany()).map((r) => r.status)).toEqual(["up", "up"]);
  });

  for (const kind of ["tls", "ssh"] as const) {
    describe(`on the ${kind.toUpperCase()} server`, () => {
      const name = `${kind}-web-${rand}`;
      let id = "";
      const remote = () => runtimeFor(servers[kind]);

      it("deploys from the registry with its credentials, serves through Caddy at the FQDN, and the container is on that engine only", async () => {
        const logins = sshdAcceptedLogins();
        const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: image("v1"), port: 8080, server: `${kind}-${rand}`, mounts: [{ type: "volume", target: "/data" }] } });
        id = created.id;
        expect(created.server).toBe(`${kind}-${rand}`);
        const inst = await settle(id);
        expect(inst.status).toBe("running");
        expect((await viaCaddy(name)).body).toContain("wharf-test v1");
        const host = kind === "tls" ? mh.tls.host : mh.ssh.host;
        const route = (await getProxyProvider(await getSettings())!.listRoutes()).find((r) => r.id === routeId("instance", id))!;
        expect(route.upstreams[0].host).toBe(host);
        expect(await (await remote()).listManagedContainers({ instanceId: id })).toHaveLength(1);
        expect(await getRuntime().listManagedContainers({ instanceId: id })).toHaveLength(0);
        // One SSH connection carried the whole deploy (pull, create, start, health, inspect...): none, or one if it was not open yet.
        if (kind === "ssh") expect(sshdAcceptedLogins() - logins).toBeLessThanOrEqual(1);
      });

      it("redeploys blue-green under a request loop with 0 failed requests, and the volume's data stays", async () => {
        const cid = (await getInstance(id)).containerId!;
        dockerOn(kind, ["exec", cid, "sh", "-c", "echo kept > /data/proof"]);
        let inst!: Awaited<ReturnType<typeof settle>>;
        const load = await underLoad(`${name}.${base}`, async () => {
          await redeployInstance({ actor: SYSTEM_ACTOR, id, body: { image: image("v2") } });
          inst = await settle(id);
        });
        expect(inst.status).toBe("running");
        expect((await viaCaddy(name)).body).toContain("wharf-test v2");
        expect(inst.containerId).not.toBe(cid);
        expect(dockerOn(kind, ["exec", inst.containerId!, "cat", "/data/proof"]).trim()).toBe("kept");
        expect(load.failed, `${load.failures.join("; ")}\n${await stepsOf(id)}`).toBe(0);
        expect(load.ok).toBeGreaterThan(10);
      });

      it("rolls back, stops and starts, shows logs and usage", async () => {
        await rollbackInstance({ actor: SYSTEM_ACTOR, id, body: {} });
        expect((await settle(id)).status).toBe("running");
        expect((await viaCaddy(name)).body).toContain("wharf-test v1");
        await stopInstance({ actor: SYSTEM_ACTOR, id });
        expect((await settle(id)).status).toBe("stopped");
        expect((await (await remote()).inspectContainer((await getInstance(id)).containerId!))?.state).toBe("exited");
        await startInstance({ actor: SYSTEM_ACTOR, id });
        expect((await settle(id)).status).toBe("running");
        expect((await viaCaddy(name)).body).toContain("wharf-test v1");
        const text = await new Response(await streamInstanceLogs({ id, follow: false, tail: 50 })).text();
        expect(text.length).toBeGreaterThan(0);
        const state = newCollectorState();
        const r = await collectUsageOnce({ state });
        expect(r.failed).toBe(0);
        expect(await db.usageSample.count({ where: { instanceId: id } })).toBe(1);
      });

      it("a container that dies on the remote engine is an instance.exited event, from that server's event stream", async () => {
        await watchServers();
        const inst = await getInstance(id);
        expect(inst.status).toBe("running");
        // The stream is open before the kill (an SSH channel or a TLS connection to set up).
        await new Promise((r) => setTimeout(r, 1_500));
        dockerOn(kind, ["kill", "--signal", "KILL", inst.containerId!]);
        const ev = await eventually(() => db.notificationEvent.findFirst({ where: { consumerId: id, event: "instance.exited" } }), { timeoutMs: 20_000, what: "instance.exited from the remote engine" });
        expect(ev.message).toContain("exited with code 137");
        stopContainerWatch();
      });

      it("remove leaves nothing on the engine and no route; its kept volume is listed on that server and deleted there", async () => {
        const [volume] = instanceVolumeNames(await db.instance.findUniqueOrThrow({ where: { id } }));
        const mounted = (await listVolumes()).volumes.find((v) => v.name === volume);
        expect(mounted).toMatchObject({ server: `${kind}-${rand}`, serverId: servers[kind], instance: { id } });
        await removeInstance({ actor: SYSTEM_ACTOR, id });
        expect(await (await remote()).listManagedContainers({ instanceId: id })).toHaveLength(0);
        const routes = await getProxyProvider(await getSettings())!.listRoutes();
        expect(routes.find((r) => r.id === routeId("instance", id))).toBeUndefined();
        expect((await listVolumes()).volumes.find((v) => v.name === volume)).toMatchObject({ server: `${kind}-${rand}`, instance: null, createdFor: id });
        // The same name on the local engine is another volume: not found there.
        await expect(deleteVolume({ actor: SYSTEM_ACTOR, name: volume })).rejects.toMatchObject({ code: "NOT_FOUND" });
        expect(await deleteVolume({ actor: SYSTEM_ACTOR, name: volume, server: `${kind}-${rand}` })).toEqual({ name: volume, server: `${kind}-${rand}`, deleted: true });
        expect(await (await remote()).inspectVolume(volume)).toBeNull();
      });
    });
  }

  it("moves an instance from the TLS server to the SSH server with the site up (0 failed requests), after the data question", async () => {
    const name = `mover-${rand}`;
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: image("v1"), port: 8080, server: servers.tls, mounts: [{ type: "volume", target: "/data" }] } });
    expect((await settle(created.id)).status).toBe("running");
    const refused = await redeployInstance({ actor: SYSTEM_ACTOR, id: created.id, body: { server: `ssh-${rand}` } }).catch((e: { field?: string; message: string }) => e);
    expect(refused).toMatchObject({ field: "dataStaysBehind" });
    expect((await getInstance(created.id)).status).toBe("running");
    let moved!: Awaited<ReturnType<typeof settle>>;
    const load = await underLoad(`${name}.${base}`, async () => {
      await redeployInstance({ actor: SYSTEM_ACTOR, id: created.id, body: { server: `ssh-${rand}`, dataStaysBehind: true, image: image("v2") } });
      moved = await settle(created.id);
    });
    expect(moved).toMatchObject({ status: "running", server: `ssh-${rand}` });
    expect((await viaCaddy(name)).body).toContain("wharf-test v2");
    expect(load.failed, `${load.failures.join("; ")}\n${await stepsOf(created.id)}`).toBe(0);
    expect(load.ok).toBeGreaterThan(10);
    expect(await (await runtimeFor(servers.tls)).listManagedContainers({ instanceId: created.id })).toHaveLength(0);
    expect(await (await runtimeFor(servers.ssh)).listManagedContainers({ instanceId: created.id })).toHaveLength(1);
    await removeInstance({ actor: SYSTEM_ACTOR, id: created.id });
  });

  it("lists this installation's orphan containers on a remote engine, never another installation's", async () => {
    const mine = `orphan-mine-${rand}`;
    const theirs = `orphan-theirs-${rand}`;
    const run = (n: string, installation: string) =>
      dockerOn("tls", ["create", "--name", n, "--label", `${LABEL_MANAGED}=true`, "--label", `${LABEL_INSTANCE}=gone-${rand}`, "--label", `${LABEL_INSTALLATION}=${installation}`, image("v1")]);
    run(mine, installationId());
    run(theirs, "another-installation-0000");
    try {
      const report = await runSync({ trigger: "manual" });
      const names = report.orphans.containers.map((c) => c.name);
      expect(names).toContain(mine);
      expect(names).not.toContain(theirs);
    } finally {
      dockerOn("tls", ["rm", "-f", mine, theirs]);
    }
  });

  it("refuses an SSH server whose host key changed, with both fingerprints, before any call", async () => {
    const wrong = `SHA256:${"B".repeat(43)}`;
    await db.server.update({ where: { id: servers.ssh }, data: { hostKeySha256: wrong } });
    const before = sshdAcceptedLogins();
    const t = await testServer({ actor: SYSTEM_ACTOR, id: servers.ssh });
    expect(t.ok).toBe(false);
    expect(t.message).toContain(wrong);
    expect(t.message).toContain(mh.ssh.hostKey);
    expect(sshdAcceptedLogins()).toBe(before);
    expect((await db.server.findUniqueOrThrow({ where: { id: servers.ssh } })).status).toBe("down");
    await db.server.update({ where: { id: servers.ssh }, data: { hostKeySha256: mh.ssh.hostKey } });
    expect((await testServer({ actor: SYSTEM_ACTOR, id: servers.ssh })).ok).toBe(true);
  });

  it("an engine that dies is a server down: health degraded, its instances unknown, nothing failed or deleted; back, the sync repairs it", async () => {
    const name = `ssh-down-${rand}`;
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: image("v1"), port: 8080, server: servers.ssh } });
    expect((await settle(created.id)).status).toBe("running");
    const tlsName = `tls-alive-${rand}`;
    const other = await createInstance({ actor: SYSTEM_ACTOR, body: { name: tlsName, image: image("v1"), port: 8080, server: servers.tls } });
    expect((await settle(other.id)).status).toBe("running");
    execFileSync("bash", [script, "kill-engine", "2"], { stdio: "pipe" });
    const t0 = Date.now();
    await pingServers();
    expect(Date.now() - t0).toBeLessThan(8_000);
    const health = await getHealth();
    expect(health.status).toBe("degraded");
    // The Volumes list names the server it could not ask, and still lists the others'.
    const vols = await listVolumes();
    expect(vols.unavailable.map((u) => u.server)).toEqual([`ssh-${rand}`]);
    expect(health.servers.down).toEqual([`ssh-${rand}`]);
    const seen = await getInstance(created.id);
    expect(seen.status).toBe("unknown");
    expect(seen.error).toContain(`ssh-${rand}`);
    const report = await runSync({ trigger: "manual" });
    expect(report.lines.find((l) => l.name === `server ssh-${rand}`)).toMatchObject({ status: "failed", message: expect.stringContaining("left as they are") });
    const row = await db.instance.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.status).toBe("running");
    expect(await db.dnsRecord.count({ where: { consumerId: created.id, status: "deleted" } })).toBe(0);
    // The other server is not stalled by the dead one.
    expect((await viaCaddy(tlsName)).body).toContain("wharf-test v1");
    expect((await getInstance(other.id)).status).toBe("running");

    execFileSync("bash", [script, "start-engine", "2"], { stdio: "pipe" });
    await pingServers();
    expect((await getHealth()).servers.down).toEqual([]);
    await runSync({ trigger: "manual" });
    await eventually(async () => (await viaCaddy(name).catch(() => null))?.body.includes("wharf-test v1"), { timeoutMs: 30_000, what: "served again after the engine came back" });
    expect((await getInstance(created.id)).status).toBe("running");
  });
});
