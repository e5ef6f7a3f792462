// DockerodeRuntime against remote engines (issue 27): h1's dockerd on mutual
// TLS at 198.18.0.11:2376 and h2's behind a real sshd at 198.18.0.12:22, both
// in network namespaces made by test/services/multihost.sh (run by
// test/services/start.sh). Traffic goes only to 198.18.0.0/24.
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import http from "node:http";
import path from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerLabels } from "../naming";
import { installationId } from "../secrets";
import { rejection } from "../../test/helpers/assert";
import { pushTestImage } from "../../test/helpers/registry";
import { multihost, multihostHost, restartSshd, sshConnection, sshdAcceptedLogins, tlsConnection } from "../../test/multihost";
import type { DockerConnection } from "./connection";
import { DockerodeRuntime } from "./dockerode";
import { closeAllSshConnections, closeSshConnection, configureSshTransport, probeSshHostKey, resetSshTransportSettings, sshConnectionState } from "./ssh-transport";
import type { ContainerSpec } from "./types";
import { waitHealthy } from "./wait-healthy";

const run = randomBytes(4).toString("hex");
const network = `wharf-it-${run}`;
const repo = `lab/mh-${run}`;
// A fingerprint of some other ed25519 key (test fixture): never h2's.
const OTHER_HOST_KEY = "SHA256:ecMPJPnhRNo97H2/6xJhmuM4CLZgMadwZwZn8lCd4yk";

function get(host: string, port: number, urlPath = "/"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: urlPath, agent: false, timeout: 5_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("timeout", function (this: http.ClientRequest) {
        this.destroy(new Error("timeout"));
      })
      .on("error", reject);
  });
}

function spec(suffix: string, image: string, publishOn: string): ContainerSpec {
  return {
    name: `wharf-it-${run}-${suffix}`,
    image,
    env: { WHARF_IT: run },
    labels: { ...containerLabels(`it-${run}`, `dep-${suffix}`, installationId()), "wharf.it": run },
    network,
    port: 8080,
    publishOn,
    restartPolicy: "no",
  };
}

async function elapsed<T>(p: Promise<T>): Promise<{ ms: number; result: T | null; error: unknown }> {
  const t0 = Date.now();
  try {
    const result = await p;
    return { ms: Date.now() - t0, result, error: null };
  } catch (error) {
    return { ms: Date.now() - t0, result: null, error };
  }
}

beforeAll(() => {
  multihost(); // fails early, with the command to run, when the engines are not up
  execFileSync("bash", [path.resolve(import.meta.dirname, "../../test/images/build.sh")], { stdio: "pipe" });
  // A tag no engine has: the remote pull below really downloads it. 127.0.0.1:5050 and 198.18.0.1:5050 share storage.
  pushTestImage("wharf-test/web:v1", `127.0.0.1:5050/${repo}:v1`);
});

afterAll(async () => {
  resetSshTransportSettings();
  await closeAllSshConnections();
  for (const name of ["h1", "h2"]) {
    const d = new Docker({ socketPath: multihostHost(name).socket });
    const left = await d.listContainers({ all: true, filters: { label: [`wharf.it=${run}`] } });
    await Promise.all(left.map((c) => d.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    await d.getNetwork(network).remove().catch(() => undefined);
    await d.getImage(`198.18.0.1:5050/${repo}:v1`).remove({ force: true }).catch(() => undefined);
  }
});

/** The same end-to-end run over either transport: pull with credentials, create, start, serve, logs, stats, stop, remove. */
async function endToEnd(rt: DockerodeRuntime, address: string, suffix: string): Promise<number> {
  let calls = 0;
  const c = <T>(p: Promise<T>) => (calls++, p);
  const m = multihost();
  const ref = `${m.registries.auth}/${repo}:v1`;

  const p = await c(rt.ping());
  expect(p).toMatchObject({ ok: true });
  expect(p.version).toMatch(/^\d+\.\d+/);
  expect(await c(rt.imageExists(ref))).toBe(false);
  const progress: string[] = [];
  await c(rt.pullImage(ref, (x) => progress.push(x.status), undefined, { username: m.registries.username, password: m.registries.password, serveraddress: m.registries.auth }));
  expect(progress.some((s) => /Download complete|Pull complete|Downloaded newer image/.test(s))).toBe(true);
  expect(await c(rt.imageExists(ref))).toBe(true);
  expect((await c(rt.imageInfo(ref)))?.repoDigests.join(" ")).toContain(`${m.registries.auth}/${repo}@sha256:`);

  await c(rt.ensureNetwork(network));
  const s = spec(suffix, ref, address);
  const created = await c(rt.createContainer(s));
  expect(created).toMatchObject({ name: s.name, state: "created" });
  await c(rt.startContainer(created.id));
  const running = await c(rt.inspectContainer(created.id));
  expect(running?.state).toBe("running");
  const port = running?.publishedPort as number;
  expect(port).toBeGreaterThan(0);

  await waitHealthy({ runtime: rt, containerId: created.id, probe: { host: address, port }, timeoutMs: 20_000 });
  calls += 2; // waitHealthy inspected at least twice (before and after the probe)
  const page = await get(address, port);
  expect(page.status).toBe(200);
  expect(page.body).toContain("wharf-test v1");

  const lines: string[] = [];
  for await (const l of rt.containerLogs(created.id, { tail: 50 })) lines.push(l.line);
  calls++;
  expect(lines).toContain("wharf-test web v1 starting");
  const stats = await c(rt.containerStats(created.id));
  expect(stats?.memoryBytes).toBeGreaterThan(0);
  expect((await c(rt.listManagedContainers({ instanceId: `it-${run}` }))).map((x) => x.id)).toContain(created.id);

  await c(rt.stopContainer(created.id, 5));
  expect((await c(rt.inspectContainer(created.id)))?.state).toBe("exited");
  await c(rt.removeContainer(created.id));
  expect(await c(rt.inspectContainer(created.id))).toBeNull();
  await expect(get(address, port)).rejects.toThrow();
  return calls;
}

describe("over mutual TLS (h1, 198.18.0.11:2376)", () => {
  const h1 = () => multihostHost("h1");

  it("names the engine tls://host:port", () => {
    expect(new DockerodeRuntime({ connection: tlsConnection() }).endpoint).toBe("tls://198.18.0.11:2376");
  });

  it("pulls with credentials, runs a container published on the namespace address, logs, stats, stops and removes it", async () => {
    const rt = new DockerodeRuntime({ connection: tlsConnection() });
    expect(await endToEnd(rt, h1().address, "tls")).toBeGreaterThan(15);
  }, 120_000);

  it("refuses an engine whose certificate a CA the client does not trust signed", async () => {
    const rt = new DockerodeRuntime({ connection: tlsConnection({ ca: "other" }) });
    const p = await rt.ping();
    expect(p.ok).toBe(false);
    expect(p.message).toMatch(/certificate/i);
    const err = await rejection(rt.listManagedContainers());
    expect(err.message).toMatch(/certificate/i);
  });

  it("refuses PEM input that is not PEM, naming the field", async () => {
    const rt = new DockerodeRuntime({ connection: { ...tlsConnection(), key: "not a key" } });
    const err = await rejection(rt.listManagedContainers());
    expect(err.code).toBe("VALIDATION");
    expect(err.field).toBe("key");
  });

  it("fails within the timeout on an unreachable address instead of hanging", async () => {
    const rt = new DockerodeRuntime({ connection: { ...tlsConnection(), host: "198.18.0.99" }, timeoutMs: 3_000 });
    const r = await elapsed(rt.listManagedContainers());
    expect(r.error).toBeTruthy();
    expect(String((r.error as Error).message)).toContain("198.18.0.99");
    expect(r.ms).toBeLessThan(5_000);
  });
});

describe("over SSH (h2, 198.18.0.12:22, a real sshd)", () => {
  const h2 = () => multihostHost("h2");

  it("probes the host key: the fingerprint ssh-keygen prints for the server's key", async () => {
    const m = multihost().ssh;
    const before = sshdAcceptedLogins();
    const probed = await probeSshHostKey({ host: m.host, port: m.port, timeoutMs: 5_000 });
    expect(probed).toEqual({ fingerprint: m.hostKey, keyType: m.hostKeyType });
    expect(sshdAcceptedLogins()).toBe(before); // no login
  });

  it("carries a whole run of ≥ 20 API calls, some concurrent, over ONE SSH connection", async () => {
    await closeAllSshConnections();
    const conn = sshConnection();
    const rt = new DockerodeRuntime({ connection: conn });
    expect(rt.endpoint).toBe(`ssh://${conn.username}@198.18.0.12:22`);
    const before = sshdAcceptedLogins();

    let calls = await endToEnd(rt, h2().address, "ssh");
    // Concurrent calls open several channels at once on the same connection; more than sshd's
    // MaxSessions (10) wait for a free channel instead of failing.
    const burst = await Promise.all(Array.from({ length: 14 }, () => rt.ping()));
    calls += burst.length;
    expect(burst.every((p) => p.ok)).toBe(true);
    // A second runtime for the same server shares the connection.
    expect((await new DockerodeRuntime({ connection: sshConnection() }).ping()).ok).toBe(true);
    calls++;

    expect(calls).toBeGreaterThanOrEqual(20);
    expect(sshdAcceptedLogins() - before).toBe(1);
    expect(sshConnectionState(conn)).toMatchObject({ connected: true, connects: 1 });
  }, 120_000);

  it("refuses a server whose host key is not the recorded one, naming the address and both fingerprints; nothing logs in", async () => {
    const m = multihost().ssh;
    const before = sshdAcceptedLogins();
    const rt = new DockerodeRuntime({ connection: sshConnection({ hostKey: OTHER_HOST_KEY }) });
    const err = await rejection(rt.listManagedContainers());
    expect(err.message).toContain("198.18.0.12:22");
    expect(err.message).toContain(`expected ${OTHER_HOST_KEY}`);
    expect(err.message).toContain(`presented ${m.hostKey}`);
    expect(err.details).toMatchObject({ reason: "host-key-mismatch" });
    expect((await rt.ping()).ok).toBe(false);
    expect(sshdAcceptedLogins()).toBe(before);
  });

  it("never connects without a recorded host key", async () => {
    const rt = new DockerodeRuntime({ connection: sshConnection({ hostKey: "" }) });
    const err = await rejection(rt.listManagedContainers());
    expect(err.code).toBe("VALIDATION");
    expect(err.field).toBe("hostKey");
  });

  it("reconnects on the next call after sshd is restarted (its sessions killed)", async () => {
    const conn = sshConnection();
    const rt = new DockerodeRuntime({ connection: conn });
    expect((await rt.ping()).ok).toBe(true);
    const connects = sshConnectionState(conn)?.connects ?? 0;
    const before = sshdAcceptedLogins();

    restartSshd();
    for (let i = 0; i < 50 && sshConnectionState(conn)?.connected; i++) await new Promise((r) => setTimeout(r, 100));
    expect(sshConnectionState(conn)?.connected).toBe(false); // the drop was noticed

    const p = await rt.ping();
    expect(p).toMatchObject({ ok: true });
    expect(sshConnectionState(conn)).toMatchObject({ connected: true, connects: connects + 1 });
    // sshd's log restarted with it is appended to: one more login
    expect(sshdAcceptedLogins()).toBe(before + 1);
  });

  it("closing the server's connection waits for a running operation, which completes; the next call reconnects", async () => {
    const conn = sshConnection();
    const rt = new DockerodeRuntime({ connection: conn });
    await rt.ensureNetwork(network);
    const c = await rt.createContainer(spec("follow", `${multihost().registries.auth}/${repo}:v1`, h2().address));
    await rt.startContainer(c.id);
    const port = (await rt.inspectContainer(c.id))?.publishedPort as number;
    await waitHealthy({ runtime: rt, containerId: c.id, probe: { host: h2().address, port }, timeoutMs: 20_000 });

    // A followed log stream holds a channel open: the close must wait for it.
    const ctrl = new AbortController();
    const seen: string[] = [];
    let followStarted = () => {};
    const started = new Promise<void>((r) => (followStarted = r));
    const following = (async () => {
      const it = rt.containerLogs(c.id, { follow: true, tail: 1, signal: ctrl.signal });
      for await (const l of it) {
        followStarted();
        seen.push(l.line);
      }
    })();
    await started;
    let closed = false;
    const closing = closeSshConnection({ host: conn.host, port: conn.port }).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(closed).toBe(false); // still open under the follow

    // httpd -v logs each request: one more line arrives through the still-open channel.
    const n = seen.length;
    expect((await get(h2().address, port, "/closing-test")).status).toBe(404);
    for (let i = 0; i < 50 && seen.length === n; i++) await new Promise((r) => setTimeout(r, 100));
    expect(seen.length).toBeGreaterThan(n);
    expect(closed).toBe(false);
    ctrl.abort(); // the operation ends: now the connection may close
    await following;
    await closing;
    expect(closed).toBe(true);

    const connectsBefore = sshConnectionState(conn);
    expect(connectsBefore).toBeNull(); // gone from the pool
    expect((await rt.ping()).ok).toBe(true); // a new connection
    expect(sshConnectionState(conn)).toMatchObject({ connected: true, connects: 1 });
    await rt.removeContainer(c.id);
  }, 60_000);

  it("fails within the timeout on an unreachable address instead of hanging", async () => {
    configureSshTransport({ connectTimeoutMs: 2_000 });
    try {
      const probe = await elapsed(probeSshHostKey({ host: "198.18.0.99", port: 22, timeoutMs: 2_000 }));
      expect(probe.error).toBeTruthy();
      expect(String((probe.error as Error).message)).toContain("198.18.0.99:22");
      expect(probe.ms).toBeLessThan(3_500);

      const conn: DockerConnection = sshConnection({ host: "198.18.0.99" });
      const rt = new DockerodeRuntime({ connection: conn, timeoutMs: 10_000 });
      const r = await elapsed(rt.listManagedContainers());
      expect(r.error).toBeTruthy();
      expect(String((r.error as Error).message)).toContain("198.18.0.99");
      expect(r.ms).toBeLessThan(3_500);
      // Inside the backoff window the next call fails fast with the same reason.
      const again = await elapsed(rt.listManagedContainers());
      expect(String((again.error as Error).message)).toMatch(/next attempt in \d+s/);
      expect(again.ms).toBeLessThan(500);
    } finally {
      resetSshTransportSettings();
    }
  });
});
