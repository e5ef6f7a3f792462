import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { db } from "../db";
import { getRuntime } from "../docker";
import { resetEnvCache } from "../env";
import { AppError } from "../errors";
import { createInstance } from "../deployer/create-instance";
import { getInstance } from "../instances/get-instance";
import { waitForJob } from "../deployer/jobs";
import { removeInstance } from "../deployer/remove-instance";
import { LABEL_PROXY, managedAdminDir, managedContainerName, managedVolumeName } from "../proxy/managed-caddy";
import { runSync } from "../reconcile/run-sync";
import { updateSettingsAndReroute } from "../configuration/settings-change";
import { getSettings } from "../settings/get-settings";
import { updateSettings } from "../configuration/update-settings";
import { docker, execIn } from "../../test/helpers/docker-exec";
import { eventually, httpGet, TEST_NETWORK } from "../../test/helpers/http";

// Issue 24 on the real engine: Wharf runs Caddy itself, from the locally built
// wharf-test/caddy:2 (test/images/build.sh), published on 127.0.0.1 high ports.
const rand = randomBytes(3).toString("hex");
const base = `mp-${rand}.wharf.test`;
const PORTS = { httpPort: 24180, httpsPort: 24543 };
const managed = { type: "managed", image: "wharf-test/caddy:2", bindAddress: "127.0.0.1", ...PORTS } as const;
const rt = getRuntime();

async function deploy(name: string, image: string) {
  const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image, port: 8080 } });
  await waitForJob(created.id);
  return getInstance(created.id);
}
const viaManaged = (name: string) => httpGet({ port: PORTS.httpPort, host: `${name}.${base}` });

/** Holds a loopback port with a plain listener, as another program on the host would. */
function holdPort(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => s.destroy());
    srv.once("error", reject);
    srv.listen(port, "127.0.0.1", () => resolve(srv));
  });
}

beforeAll(async () => {
  process.env.WHARF_MANAGED_PROXY_CONTAINER = `wharf-caddy-it-${rand}`;
  resetEnvCache();
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: { baseDomain: base, docker: { network: TEST_NETWORK }, tls: { mode: "off" }, proxy: { provider: null, upstream: { mode: "host", hostAddress: "127.0.0.1" } } },
  });
});

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
  await rt.removeContainer(managedContainerName()).catch(() => undefined);
  await rt.removeVolume(managedVolumeName()).catch(() => undefined);
  delete process.env.WHARF_MANAGED_PROXY_CONTAINER;
  resetEnvCache();
});

describe("the managed proxy: Wharf runs Caddy itself", () => {
  const existing = `old-${rand}`;
  const later = `new-${rand}`;

  it("with no proxy configured, an instance runs with its route not configured", async () => {
    const inst = await deploy(existing, "wharf-test/web:v1");
    expect(inst.status).toBe("running");
    expect(inst.route.status).toBe("not_configured");
  });

  it("a port another process holds is a clear 409 naming it, and nothing is saved or left behind", async () => {
    const holder = await holdPort(PORTS.httpPort);
    try {
      const err = await updateSettings({ actor: SYSTEM_ACTOR, body: { proxy: { provider: managed } } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("CONFLICT");
      expect((err as AppError).field).toBe("proxy.provider.httpPort");
      expect((err as AppError).message).toMatch(new RegExp(`port ${PORTS.httpPort} on 127\\.0\\.0\\.1 is already taken: another process on the host`));
    } finally {
      await new Promise((r) => holder.close(r));
    }
    expect((await getSettings()).proxy.provider).toBeNull();
    expect(await rt.inspectContainer(managedContainerName())).toBeNull();
  });

  it("a port another container publishes is a 409 naming that container", async () => {
    const name = `mp-holder-${rand}`;
    const holder = await docker.createContainer({
      name,
      Image: "wharf-test/web:v1",
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: { NetworkMode: TEST_NETWORK, PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(PORTS.httpsPort) }] } },
    });
    try {
      await holder.start();
      const err = await updateSettings({ actor: SYSTEM_ACTOR, body: { proxy: { provider: managed } } }).catch((e: unknown) => e);
      expect((err as AppError).code).toBe("CONFLICT");
      expect((err as AppError).field).toBe("proxy.provider.httpsPort");
      expect((err as AppError).message).toContain(`port ${PORTS.httpsPort} on 127.0.0.1 is already taken: container ${name} publishes it`);
    } finally {
      await holder.remove({ force: true });
    }
    expect((await getSettings()).proxy.provider).toBeNull();
    expect(await rt.inspectContainer(managedContainerName())).toBeNull();
  });

  it("choosing it starts Caddy (labelled, volume, unless-stopped, as Wharf's user, admin on a socket only) and re-routes the existing instance by name", async () => {
    const t0 = Date.now();
    const settings = await updateSettingsAndReroute({ actor: SYSTEM_ACTOR, body: { proxy: { provider: managed } } });
    console.log(`choose managed + reroute: ${Date.now() - t0} ms`);
    expect(settings.proxy.upstream).toEqual({ mode: "network", network: TEST_NETWORK, probeAddress: "127.0.0.1" });
    const raw = await docker.getContainer(managedContainerName()).inspect();
    expect(raw.State.Running).toBe(true);
    expect(raw.Config.Labels[LABEL_PROXY]).toBe("managed");
    expect(raw.HostConfig.RestartPolicy?.Name).toBe("unless-stopped");
    expect(raw.Mounts.find((m) => m.Destination === "/data")?.Name).toBe(managedVolumeName());
    expect(Object.keys(raw.NetworkSettings.Networks)).toEqual([TEST_NETWORK]);
    const bindings = raw.HostConfig.PortBindings as Record<string, Array<{ HostIp: string; HostPort: string }>>;
    // Only 80/443 published: the admin API is a unix socket in Wharf's data dir, owned by Wharf's user.
    expect(Object.keys(bindings).sort()).toEqual([`${PORTS.httpPort}/tcp`, `${PORTS.httpsPort}/tcp`]);
    expect(bindings[`${PORTS.httpPort}/tcp`]).toEqual([{ HostIp: "127.0.0.1", HostPort: String(PORTS.httpPort) }]);
    expect(raw.Config.User).toBe(`${process.getuid!()}:${process.getgid!()}`);
    expect(raw.Mounts.find((m) => m.Destination === "/run/wharf-admin")?.Source).toBe(managedAdminDir());
    expect(statSync(managedAdminDir()).mode & 0o777).toBe(0o700);
    const sock = statSync(path.join(managedAdminDir(), "admin.sock"));
    expect(sock.isSocket()).toBe(true);
    expect(sock.uid).toBe(process.getuid!());
    // Not an instance container: the orphan pass must not list it.
    expect(raw.Config.Labels["wharf.managed"]).toBeUndefined();
    // This engine's kernel (5.14+) lets a config reload hand queued connections to Caddy's new listener instead of resetting them.
    expect(raw.HostConfig.Sysctls).toEqual({ "net.ipv4.tcp_migrate_req": "1" });
    // Read in the container's own network namespace (the Caddy image has no shell or cat).
    expect(execFileSync("nsenter", ["-t", String(raw.State.Pid), "-n", "sysctl", "-n", "net.ipv4.tcp_migrate_req"], { encoding: "utf8" }).trim()).toBe("1");

    const inst = await getInstance((await db.instance.findFirstOrThrow({ where: { name: existing } })).id);
    expect(inst.route.status).toBe("active");
    const res = await viaManaged(existing);
    expect(res.status).toBe(200);
    expect(res.body).toContain("wharf-test v1");
  });

  it("a new instance (no HEALTHCHECK: probed on its loopback port) is routed by name through it", async () => {
    const inst = await deploy(later, "wharf-test/web:v2");
    expect(inst.status).toBe("running");
    expect(inst.route.status).toBe("active");
    expect((await viaManaged(later)).body).toContain("wharf-test v2");
  });

  it("another container on Wharf's network cannot reach the admin API (nothing listens on 2019), while its proxy port answers it", async () => {
    // An instance is hostile: from a container beside it on the network, the
    // admin API is the one thing that must stay out of reach.
    const attacker = await docker.createContainer({
      name: `mp-attacker-${rand}`,
      Image: "wharf-test/web:v1",
      Cmd: ["sleep", "120"],
      HostConfig: { NetworkMode: TEST_NETWORK },
    });
    try {
      await attacker.start();
      const caddy = managedContainerName();
      // Plain HTTP/1.0 through busybox nc (this busybox's `nc -z` does not exist and `wget -T` crashes).
      // The sleep keeps nc's side open: on stdin's end it half-closes, and Caddy cancels a proxied request whose client hung up.
      const ask = (port: number, host: string, path: string) =>
        execIn(attacker.id, ["sh", "-c", `(printf 'GET ${path} HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n'; sleep 2) | nc -w 3 ${caddy} ${port}`]);
      // Reachable by name: the proxy port answers with the instance behind it.
      const proxied = await ask(PORTS.httpPort, `${existing}.${base}`, "/");
      expect(proxied.output).toContain("wharf-test v1");
      // Caddy's former admin port: nothing listens (the connection is refused), so no config comes back.
      const admin = await ask(2019, `${caddy}:2019`, "/config/");
      expect(admin.output).not.toContain("HTTP/1");
      expect(admin.output).not.toContain("apps");
      expect(admin.exitCode).not.toBe(0);
      const viaWget = await execIn(attacker.id, ["wget", "-q", "-O", "-", `http://${caddy}:2019/config/`]);
      expect(viaWget.exitCode).not.toBe(0);
    } finally {
      await attacker.remove({ force: true });
    }
    // Wharf itself still manages routes (over the admin socket in its data dir).
    const inst = await getInstance((await db.instance.findFirstOrThrow({ where: { name: later } })).id);
    expect(inst.route.status).toBe("active");
  });

  it("after Caddy restarts (config from its start, no routes), the next sync pushes the routes again", async () => {
    await docker.getContainer(managedContainerName()).restart({ t: 1 });
    // Caddy answers an unmatched host with an empty 200: the instance's page is what is missing.
    await eventually(async () => {
      const r = await viaManaged(existing).catch(() => null);
      return r !== null && !r.body.includes("wharf-test");
    }, { what: "restarted Caddy without routes", timeoutMs: 15_000 });
    const report = await runSync({ trigger: "manual" });
    expect(report.routes.repaired).toBeGreaterThanOrEqual(2);
    expect((await viaManaged(existing)).body).toContain("wharf-test v1");
    expect((await viaManaged(later)).body).toContain("wharf-test v2");
  });

  it("the container removed by hand comes back with its routes after the next sync", async () => {
    await rt.removeContainer(managedContainerName());
    await expect(viaManaged(existing)).rejects.toThrow();
    const t0 = Date.now();
    const report = await runSync({ trigger: "manual" });
    console.log(`sync re-creating the managed Caddy: ${Date.now() - t0} ms`);
    expect(report.lines).toEqual(expect.arrayContaining([expect.objectContaining({ name: managedContainerName(), status: "ok", message: expect.stringContaining("created") })]));
    expect(report.orphans.containers.map((c) => c.name)).not.toContain(managedContainerName());
    expect((await viaManaged(existing)).body).toContain("wharf-test v1");
    expect((await viaManaged(later)).body).toContain("wharf-test v2");
  });

  it("switching away keeps the container unless the operator confirms its removal; the volume is kept", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { proxy: { provider: null } } });
    expect((await rt.inspectContainer(managedContainerName()))?.state).toBe("running");
    // Confirmed later, while no proxy is configured: the kept container goes then.
    await updateSettings({ actor: SYSTEM_ACTOR, body: { sync: { intervalMinutes: 5 } }, removeManagedProxy: true });
    expect(await rt.inspectContainer(managedContainerName())).toBeNull();
    await updateSettings({ actor: SYSTEM_ACTOR, body: { proxy: { provider: managed } } });
    expect((await rt.inspectContainer(managedContainerName()))?.state).toBe("running");
    await updateSettings({ actor: SYSTEM_ACTOR, body: { proxy: { provider: null } }, removeManagedProxy: true });
    expect(await rt.inspectContainer(managedContainerName())).toBeNull();
    expect((await rt.listManagedVolumes()).map((v) => v.name)).not.toContain(managedVolumeName()); // not an instance volume
    const vol = await docker.getVolume(managedVolumeName()).inspect();
    expect(vol.Labels[LABEL_PROXY]).toBe("managed");
  });
});
