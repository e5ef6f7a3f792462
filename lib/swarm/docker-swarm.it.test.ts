// Against the real three-node Swarm of test/services/multihost.sh (h1 the
// manager, reached over mutual TLS; h2, h3 workers). Images are pushed fresh
// to the registry with auth, so the workers really pull with the credentials
// the service carries. Traffic goes to the nodes' addresses (198.18.0.1x)
// only. Everything made here carries a random suffix and is removed.
import { randomBytes } from "node:crypto";
import http from "node:http";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL_MANAGED } from "../naming";
import { multihost, multihostHost, sshConnection, tlsConnection } from "../../test/multihost";
import { pushTestImage } from "../../test/helpers/registry";
import { rejection } from "../../test/helpers/assert";
import { DockerSwarm } from "./docker-swarm";
import { secretName } from "./map";
import type { ServiceSpec, TaskInfo } from "./types";

const run = randomBytes(3).toString("hex");
const name = `wharf-it-sw-${run}`;
const SECRET = `s3cret-${randomBytes(8).toString("hex")}`;
const connection = tlsConnection();
const swarm = new DockerSwarm({ connection });
const raw = new Docker({ socketPath: multihostHost("h1").socket });
let v1 = "";
let v2 = "";
const timings: Record<string, number> = {};

function spec(over: Partial<ServiceSpec> = {}): ServiceSpec {
  const m = multihost().registries;
  return {
    name,
    image: v1,
    env: { GREETING: "hello world", WHARF_IT: run },
    secrets: { API_TOKEN: SECRET },
    labels: { [LABEL_MANAGED]: "true", "wharf.instance": `it-${run}` },
    port: 8080,
    replicas: 2,
    constraints: ["node.platform.os==linux"],
    limits: { memoryBytes: 64 * 1024 * 1024, nanoCpus: null },
    reservations: { memoryBytes: null, nanoCpus: null },
    healthcheck: null,
    mounts: [],
    update: { parallelism: 1, monitorMs: 2_000, order: "start-first" },
    networks: [],
    registryAuth: { username: m.username, password: m.password, serveraddress: m.auth },
    // The image's own command, plus a line naming the task's container (its hostname) for the logs test.
    command: ["sh", "-c", "echo \"wharf-log $(hostname)\"; httpd -f -v -p 8080 -h /www & pid=$!; trap 'kill $pid; exit 0' TERM; wait $pid"],
    ...over,
  };
}

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: "/", agent: false, timeout: 2_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
      })
      .on("timeout", function (this: http.ClientRequest) {
        this.destroy(new Error("timeout"));
      })
      .on("error", reject);
  });
}

const running = (tasks: TaskInfo[]) => tasks.filter((t) => t.state === "running" && t.desiredState === "running");

/** Runs `cmd` in a task's container through the engine of the node that runs it. */
async function execOnNode(task: TaskInfo, cmd: string[]): Promise<string> {
  const d = new Docker({ socketPath: multihostHost(task.node).socket });
  const exec = await d.getContainer(task.containerId ?? "").exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const sink = { write: (b: Buffer) => (chunks.push(Buffer.from(b)), true) } as unknown as NodeJS.WritableStream;
    d.modem.demuxStream(stream, sink, sink);
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  return Buffer.concat(chunks).toString("utf8");
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[label] = Math.round(performance.now() - t0);
  }
}

beforeAll(() => {
  const repo = `lab/sw-${run}`;
  const host = multihost().registries.auth;
  v1 = `${host}/${repo}@${pushTestImage("wharf-test/web:v1", `127.0.0.1:5050/${repo}:v1`)}`;
  v2 = `${host}/${repo}@${pushTestImage("wharf-test/web:v2", `127.0.0.1:5050/${repo}:v2`)}`;
});

afterAll(async () => {
  await swarm.removeService(name).catch(() => {});
  // Secrets stay in use until the tasks are gone.
  for (let i = 0; i < 40; i++) {
    await swarm.removeUnusedSecrets(name, []).catch(() => []);
    const left = (await raw.listSecrets({ filters: { label: [`wharf.service=${name}`] } })).length;
    if (!left) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`swarm timings (ms): ${JSON.stringify(timings)}`);
});

describe("DockerSwarm on a real three-node Swarm", () => {
  it("tells a manager from a worker and from a plain engine, and lists the nodes", async () => {
    const info = await swarm.swarmInfo();
    expect(info).toMatchObject({ state: "active", manager: true, nodes: 3 });
    expect(info.nodeId).toBeTruthy();
    const worker = await new DockerSwarm({ connection: { kind: "socket", socketPath: multihostHost("h2").socket } }).swarmInfo();
    expect(worker).toMatchObject({ state: "active", manager: false });
    // The same worker over SSH (the server transport): still not a manager.
    expect(await new DockerSwarm({ connection: sshConnection() }).swarmInfo()).toMatchObject({ state: "active", manager: false });
    const plain = await new DockerSwarm({ connection: { kind: "socket", socketPath: "/var/run/docker.sock" } }).swarmInfo();
    expect(plain).toMatchObject({ state: "inactive", manager: false, nodeId: null, nodes: 0 });

    const nodes = await swarm.listNodes();
    expect(nodes.map((n) => [n.hostname, n.role, n.state, n.address])).toEqual([
      ["h1", "manager", "ready", "198.18.0.11"],
      ["h2", "worker", "ready", "198.18.0.12"],
      ["h3", "worker", "ready", "198.18.0.13"],
    ]);
    expect(nodes.every((n) => n.engineVersion)).toBe(true);
  });

  it("an engine that does not answer fails the call within its deadline", async () => {
    // A TCP port that accepts and never answers: a local server that holds the connection.
    const server = http.createServer(() => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const silent = new DockerSwarm({ connection: { kind: "tcp", host: "127.0.0.1", port, tls: null }, timeoutMs: 300 });
      const t0 = Date.now();
      const err = await rejection(silent.swarmInfo());
      expect(err.code).toBe("TIMEOUT");
      expect(Date.now() - t0).toBeLessThan(3_000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("creates a service of 2 replicas pulled with credentials: two nodes serve it; the secret is a file, not in the spec", async () => {
    const created = await timed("create→running", async () => {
      const s = await swarm.createService(spec());
      const outcome = await swarm.waitForRollout(name, { timeoutMs: 90_000 });
      expect(outcome).toEqual({ outcome: "completed" });
      return s;
    });
    expect(created).toMatchObject({ name, image: v1, replicas: 2 });
    // Created again (a retried deploy): the same service comes back.
    expect((await swarm.createService(spec())).id).toBe(created.id);

    const tasks = running(await swarm.listTasks(name));
    expect(tasks).toHaveLength(2);
    expect(new Set(tasks.map((t) => t.nodeId)).size).toBe(2);
    for (const t of tasks) {
      expect(t.image).toBe(v1);
      expect(t.nodeAddress).toMatch(/^198\.18\.0\.1[123]$/);
      expect(t.publishedPort).toBeGreaterThan(0);
      expect(await get(t.nodeAddress, t.publishedPort!)).toContain("wharf-test v1");
    }

    // The value reaches the task as a file (and its path as <KEY>_FILE), never through the spec.
    expect(await execOnNode(tasks[0], ["cat", "/run/secrets/API_TOKEN"])).toBe(SECRET);
    expect(await execOnNode(tasks[0], ["sh", "-c", "echo $API_TOKEN_FILE; echo ${API_TOKEN:-unset}"])).toBe("/run/secrets/API_TOKEN\nunset\n");
    const inspected = JSON.stringify(await raw.getService(name).inspect());
    expect(inspected).not.toContain(SECRET);
    expect(inspected).not.toContain(multihost().registries.password);
    expect(inspected).toContain(secretName(name, "API_TOKEN", SECRET));
    const containerEnv = JSON.stringify(await new Docker({ socketPath: multihostHost(tasks[0].node).socket }).getContainer(tasks[0].containerId!).inspect());
    expect(containerEnv).not.toContain(SECRET);
  });

  it("a start-first update to v2 under requests: no request to a running task fails, every task ends on v2", async () => {
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    let current = running(await swarm.listTasks(name));
    const refresher = (async () => {
      while (!stop) {
        current = running(await swarm.listTasks(name));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const loop = (async () => {
      while (!stop) {
        await Promise.all(
          current.map(async (t) => {
            try {
              await get(t.nodeAddress, t.publishedPort!);
              ok++;
            } catch (err) {
              // A task retired since the last refresh is not a failure; one Swarm still says runs is.
              const still = running(await swarm.listTasks(name)).some((x) => x.id === t.id);
              if (still) failures.push(`${t.node}:${t.publishedPort} ${(err as Error).message}`);
            }
          }),
        );
      }
    })();
    try {
      const outcome = await timed("update v1→v2", async () => {
        await swarm.updateService(spec({ image: v2 }));
        // Bounded: a rollout still going when the time is up is a TIMEOUT naming the service; a signal ends the wait.
        const early = await rejection(swarm.waitForRollout(name, { timeoutMs: 300 }));
        expect(early.code).toBe("TIMEOUT");
        expect(early.message).toContain(name);
        const ac = new AbortController();
        ac.abort(new Error("stopped by the caller"));
        await expect(swarm.waitForRollout(name, { timeoutMs: 60_000, signal: ac.signal })).rejects.toThrow("stopped by the caller");
        return swarm.waitForRollout(name, { timeoutMs: 90_000 });
      });
      expect(outcome).toEqual({ outcome: "completed" });
    } finally {
      stop = true;
      await Promise.all([loop, refresher]);
    }
    console.log(`start-first update under load: ${ok} requests answered, ${failures.length} failed`);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
    const tasks = running(await swarm.listTasks(name));
    expect(tasks.map((t) => t.image)).toEqual([v2, v2]);
    for (const t of tasks) expect(await get(t.nodeAddress, t.publishedPort!)).toContain("wharf-test v2");
    const svc = await swarm.inspectService(name);
    expect(svc).toMatchObject({ image: v2, previousImage: v1, updateState: "completed" });
  });

  it("an update whose health check fails is rolled back by Swarm, and waitForRollout says so", async () => {
    const progress: string[] = [];
    const outcome = await timed("failed update→rolled back", async () => {
      await swarm.updateService(spec({ image: v1, healthcheck: { test: ["CMD", "false"], intervalMs: 500, timeoutMs: 1_000, retries: 1, startPeriodMs: 0 }, update: { parallelism: 1, monitorMs: 3_000, order: "start-first" } }));
      return swarm.waitForRollout(name, { timeoutMs: 90_000, onProgress: (_, s) => progress.push(s.updateState ?? "none") });
    });
    expect(outcome.outcome).toBe("rolled_back");
    expect(outcome.outcome === "rolled_back" && outcome.message).toMatch(/rollback/i);
    expect(progress).toContain("rollback_completed");
    // Back on v2 and serving it: the rollback also waits for its tasks.
    const tasks = running(await swarm.listTasks(name));
    expect(tasks.map((t) => t.image)).toEqual([v2, v2]);
    for (const t of tasks) expect(await get(t.nodeAddress, t.publishedPort!)).toContain("wharf-test v2");
    expect(await swarm.inspectService(name)).toMatchObject({ image: v2, updateState: "rollback_completed" });
  });

  it("scales 2 → 3 → 1 without changing anything else", async () => {
    for (const n of [3, 1]) {
      await timed(`scale to ${n}`, async () => {
        const s = await swarm.scaleService(name, n);
        expect(s).toMatchObject({ replicas: n, image: v2 });
        expect(await swarm.waitForRollout(name, { timeoutMs: 60_000 })).toEqual({ outcome: "completed" });
      });
      const tasks = running(await swarm.listTasks(name));
      expect(tasks).toHaveLength(n);
      expect(new Set(tasks.map((t) => t.nodeId)).size).toBe(n);
    }
    expect((await rejection(swarm.scaleService(name, -1))).field).toBe("replicas");
  });

  it("inspect-then-update survives a concurrent writer: the stale update retries and both land", async () => {
    // Deterministic: a second client updates the service between this client's inspect and its update.
    const other = new DockerSwarm({ connection });
    const racer = new DockerSwarm({ connection });
    const r = racer as unknown as { rawService: (n: string) => Promise<{ Version?: { Index?: number } } | null> };
    const inspect = r.rawService.bind(racer);
    let calls = 0;
    r.rawService = async (n: string) => {
      const s = await inspect(n);
      // The 1st inspect is updateService's check, the 2nd the one the update names: a writer slips in after it.
      if (++calls === 2) await other.scaleService(name, 2);
      return s;
    };
    await racer.updateService(spec({ image: v2, replicas: 2, env: { GREETING: "raced", WHARF_IT: run } }));
    expect(calls).toBeGreaterThanOrEqual(3);
    const svc = await raw.getService(name).inspect();
    expect(svc.Spec.TaskTemplate.ContainerSpec.Env).toContain("GREETING=raced");
    expect(svc.Spec.Mode.Replicated.Replicas).toBe(2);

    // And a real race: concurrent writers from separate clients all resolve.
    const a = new DockerSwarm({ connection });
    const b = new DockerSwarm({ connection });
    await Promise.all([a.scaleService(name, 2), b.updateService(spec({ image: v2, replicas: 2, env: { GREETING: "raced again", WHARF_IT: run } })), swarm.scaleService(name, 2)]);
    const after = await raw.getService(name).inspect();
    expect(after.Spec.TaskTemplate.ContainerSpec.Env).toContain("GREETING=raced again");
    expect(await swarm.waitForRollout(name, { timeoutMs: 60_000 })).toEqual({ outcome: "completed" });

    // Never a create on failure: updating a missing service is NOT_FOUND, and nothing appears.
    const ghost = `wharf-it-ghost-${run}`;
    expect((await rejection(swarm.updateService(spec({ name: ghost })))).code).toBe("NOT_FOUND");
    expect(await swarm.inspectService(ghost)).toBeNull();
  });

  it("Wharf's rollback is Swarm's: the service returns to its previous spec and the wait reports it", async () => {
    await swarm.updateService(spec({ image: v1, replicas: 2 }));
    expect(await swarm.waitForRollout(name, { timeoutMs: 60_000 })).toEqual({ outcome: "completed" });
    const back = await timed("rollback (requested)", async () => {
      const s = await swarm.rollbackService(name);
      expect(s).toMatchObject({ image: v2, previousImage: v1 });
      return swarm.waitForRollout(name, { timeoutMs: 60_000 });
    });
    expect(back.outcome).toBe("rolled_back");
    const tasks = running(await swarm.listTasks(name));
    expect(tasks.map((t) => t.image)).toEqual([v2, v2]);
    for (const t of tasks) expect(await get(t.nodeAddress, t.publishedPort!)).toContain("wharf-test v2");
    expect((await rejection(swarm.rollbackService(`wharf-it-ghost-${run}`))).code).toBe("NOT_FOUND");
  });

  it("sets a node's labels and availability (a drain moves its task), then restores them", async () => {
    const nodes = await swarm.listNodes();
    const h3 = nodes.find((n) => n.hostname === "h3")!;
    const key = `wharf-it-${run}`;
    try {
      const labelled = await swarm.updateNode(h3.id, { labels: { ...h3.labels, [key]: "a" } });
      expect(labelled.labels[key]).toBe("a");
      expect(labelled.availability).toBe(h3.availability);

    } finally {
      const restored = await swarm.updateNode(h3.id, { labels: h3.labels });
      expect(restored.labels).toEqual(h3.labels);
    }

    // Drain a node that runs a task (a worker if one does): the task moves, and the node comes back active.
    const before = running(await swarm.listTasks(name));
    const victim = nodes.find((n) => n.hostname === (["h3", "h2", "h1"].find((h) => before.some((t) => t.node === h)) ?? ""))!;
    try {
      const drained = await swarm.updateNode(victim.id, { availability: "drain" });
      expect(drained).toMatchObject({ availability: "drain", labels: victim.labels });
      // No service update happens here (waitForRollout has nothing to follow): watch the tasks.
      await timed(`drain ${victim.hostname}→task moved`, async () => {
        for (let i = 0; i < 120; i++) {
          const now = running(await swarm.listTasks(name));
          if (now.length === before.length && !now.some((t) => t.nodeId === victim.id)) return;
          await new Promise((r) => setTimeout(r, 250));
        }
      });
      const after = running(await swarm.listTasks(name));
      expect(after).toHaveLength(before.length);
      expect(after.some((t) => t.nodeId === victim.id)).toBe(false);
    } finally {
      const restored = await swarm.updateNode(victim.id, { availability: victim.availability });
      expect(restored.availability).toBe(victim.availability);
    }
    expect((await rejection(swarm.updateNode(h3.id, { availability: "gone" as "drain" }))).field).toBe("availability");
  });

  it("gathers the logs of tasks on two nodes", async () => {
    // Three replicas on three nodes: at least two nodes run one, whatever the earlier placements.
    await swarm.scaleService(name, 3);
    expect(await swarm.waitForRollout(name, { timeoutMs: 60_000 })).toEqual({ outcome: "completed" });
    const tasks = running(await swarm.listTasks(name));
    expect(new Set(tasks.map((t) => t.node)).size).toBeGreaterThanOrEqual(2);
    const lines: string[] = [];
    for await (const l of swarm.serviceLogs(name, {})) lines.push(l.line);
    // Each task printed its hostname (its container id's first 12 characters).
    const seen = new Set(lines.flatMap((l) => /wharf-log (\w+)/.exec(l)?.[1] ?? []));
    for (const t of tasks) expect([...seen].some((h) => t.containerId!.startsWith(h))).toBe(true);

    // Following: the lines arrive, and the signal ends the stream.
    const ac = new AbortController();
    const followed: string[] = [];
    const t0 = Date.now();
    for await (const l of swarm.serviceLogs(name, { follow: true, tail: 5, signal: ac.signal })) {
      followed.push(l.line);
      if (followed.some((x) => x.includes("wharf-log"))) ac.abort();
    }
    expect(followed.some((x) => x.includes("wharf-log"))).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("without the credentials the workers cannot pull: the tasks are rejected with the engine's reason", async () => {
    const bare = `wharf-it-sw-noauth-${run}`;
    try {
      // A digest no node holds yet (v1 is on the nodes since the first test).
      const fresh = `${multihost().registries.auth}/lab/sw-${run}@${pushTestImage("wharf-test/web:v1", `127.0.0.1:5050/lab/sw-${run}:noauth`)}`;
      await swarm.createService(spec({ name: bare, image: fresh, replicas: 1, secrets: {}, registryAuth: undefined }));
      let failed: TaskInfo | undefined;
      for (let i = 0; i < 60 && !failed; i++) {
        failed = (await swarm.listTasks(bare)).find((t) => t.error);
        if (!failed) await new Promise((r) => setTimeout(r, 500));
      }
      expect(failed?.state).toMatch(/rejected|failed/);
      expect(failed?.error).toMatch(/image|auth|credentials/i);
      expect(running(await swarm.listTasks(bare))).toEqual([]);
    } finally {
      await swarm.removeService(bare);
    }
  });

  it("removes the service and its unused secrets; removing again succeeds", async () => {
    const listed = await swarm.listManagedServices();
    expect(listed.map((s) => s.name)).toContain(name);
    // A secret still referenced by the service is kept.
    expect(await swarm.removeUnusedSecrets(name, [])).toEqual([]);
    await swarm.removeService(name);
    await swarm.removeService(name);
    expect(await swarm.inspectService(name)).toBeNull();
    expect(await swarm.listTasks(name)).toEqual([]);
    // The engines stop and remove the tasks' containers on every node.
    const leftovers = async () => {
      let n = 0;
      for (const h of multihost().hosts) n += (await new Docker({ socketPath: h.socket }).listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${name}`] } })).length;
      return n;
    };
    for (let i = 0; i < 40 && (await leftovers()) > 0; i++) await new Promise((r) => setTimeout(r, 500));
    expect(await leftovers()).toBe(0);
    let removed: string[] = [];
    for (let i = 0; i < 40 && !removed.length; i++) {
      removed = await swarm.removeUnusedSecrets(name, []);
      if (!removed.length) await new Promise((r) => setTimeout(r, 500));
    }
    expect(removed).toEqual([secretName(name, "API_TOKEN", SECRET)]);
  });
});
