// Against the real dockerd (bash test/services/start.sh) and the local test
// images (bash test/images/build.sh, run from beforeAll). Traffic goes to
// ports published on 127.0.0.1 only, never to container addresses.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import path from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { containerLabels, LABEL_MANAGED } from "../naming";
import { installationId } from "../secrets";
import { DockerodeRuntime } from "./dockerode";
import type { ContainerSpec } from "./types";
import { waitHealthy } from "./wait-healthy";
import { rejection } from "../../test/helpers/assert";

const run = randomBytes(4).toString("hex");
const network = `wharf-it-${run}`;
const instanceId = `it-${run}`;
const rt = new DockerodeRuntime();
const docker = new Docker({ socketPath: "/var/run/docker.sock" });

function spec(suffix: string, image: string, extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name: `wharf-it-${run}-${suffix}`,
    image,
    env: { WHARF_IT: run, GREETING: "hello world" },
    // wharf.it lets afterAll find everything this run made, even after a failed assertion.
    labels: { ...containerLabels(instanceId, `dep-${suffix}`, installationId()), "wharf.it": run },
    network,
    networkAliases: [`wharf-it-${suffix}`],
    port: 8080,
    publishOn: "127.0.0.1",
    restartPolicy: "no",
    ...extra,
  };
}

function get(port: number, urlPath = "/"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: urlPath, agent: false, timeout: 5_000 }, (res) => {
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

async function startFresh(suffix: string, image: string, extra: Partial<ContainerSpec> = {}) {
  const c = await rt.createContainer(spec(suffix, image, extra));
  await rt.startContainer(c.id);
  return c;
}

beforeAll(async () => {
  const ping = await rt.ping();
  if (!ping.ok) throw new Error(`dockerd is not reachable (${ping.message}); run: bash test/services/start.sh`);
  execFileSync("bash", [path.resolve(import.meta.dirname, "../../test/images/build.sh")], { stdio: "pipe" });
});

afterAll(async () => {
  const leftovers = await docker.listContainers({ all: true, filters: { label: [`wharf.it=${run}`] } });
  await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  await docker.getNetwork(network).remove().catch(() => undefined);
});

describe("DockerodeRuntime against dockerd", () => {
  it("pings the engine with its version", async () => {
    const p = await rt.ping();
    expect(p.ok).toBe(true);
    expect(p.version).toMatch(/^\d+\.\d+/);
  });

  it("ensures a network idempotently", async () => {
    await rt.ensureNetwork(network);
    await rt.ensureNetwork(network);
    const nets = await docker.listNetworks({ filters: { name: [network] } });
    expect(nets.filter((n) => n.Name === network)).toHaveLength(1);
  });

  it("knows which local images exist and which declare a HEALTHCHECK", async () => {
    expect(await rt.imageExists("wharf-test/web:v1")).toBe(true);
    expect(await rt.imageExists(`wharf-test/absent-${run}:v1`)).toBe(false);
    expect(await rt.imageHasHealthcheck("wharf-test/web-hc:v1")).toBe(true);
    expect(await rt.imageHasHealthcheck("wharf-test/web:v1")).toBe(false);
    expect((await rejection(rt.imageHasHealthcheck(`wharf-test/absent-${run}:v1`))).code).toBe("NOT_FOUND");
  });

  it("runs a container end to end: create, start, serve on loopback, stop, remove — each step idempotent", async () => {
    const s = spec("web", "wharf-test/web:v1");
    const created = await rt.createContainer(s);
    expect(created).toMatchObject({ name: s.name, image: "wharf-test/web:v1", state: "created", publishedPort: null });
    expect(created.labels).toMatchObject(s.labels);
    expect((await rt.createContainer(s)).id).toBe(created.id);

    await rt.startContainer(created.id);
    await rt.startContainer(created.id);
    const running = await rt.inspectContainer(s.name);
    expect(running).toMatchObject({ id: created.id, state: "running", health: null, exitCode: null });
    expect(running?.startedAt).toBeTruthy();
    const port = running?.publishedPort;
    expect(port).toBeGreaterThan(0);

    const raw = await docker.getContainer(created.id).inspect();
    expect(raw.Config.Env).toEqual(expect.arrayContaining([`WHARF_IT=${run}`, "GREETING=hello world"]));
    expect(raw.NetworkSettings.Networks[network]?.Aliases).toContain("wharf-it-web");
    expect(raw.NetworkSettings.Ports["8080/tcp"]?.[0]?.HostIp).toBe("127.0.0.1");
    expect(raw.HostConfig.RestartPolicy?.Name).toBe("no");

    await waitHealthy({ runtime: rt, containerId: created.id, probe: { host: "127.0.0.1", port: port as number }, timeoutMs: 20_000 });
    const page = await get(port as number);
    expect(page.status).toBe(200);
    expect(page.body).toContain("wharf-test v1");
    expect((await get(port as number, "/health")).body).toContain("ok");

    await rt.stopContainer(created.id, 5);
    await rt.stopContainer(created.id, 5);
    expect(await rt.inspectContainer(created.id)).toMatchObject({ state: "exited", exitCode: 0 });

    await rt.removeContainer(created.id);
    await rt.removeContainer(created.id);
    await rt.stopContainer(created.id, 1);
    expect(await rt.inspectContainer(created.id)).toBeNull();
  });

  it("refuses to adopt a same-named container that is not this deployment's", async () => {
    const s = spec("clash", "wharf-test/web:v1");
    await rt.createContainer(s);
    const err = await rejection(rt.createContainer({ ...s, labels: { ...s.labels, "wharf.deployment": "someone-else" } }));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toContain(s.name);
  });

  it("reports a missing image as NOT_FOUND", async () => {
    const err = await rejection(rt.createContainer(spec("noimg", `wharf-test/absent-${run}:v1`)));
    expect(err.code).toBe("NOT_FOUND");
  });

  it("lists managed containers by label, per instance", async () => {
    const c = await rt.createContainer(spec("listed", "wharf-test/web:v1"));
    const mine = await rt.listManagedContainers({ instanceId });
    expect(mine.map((x) => x.id)).toContain(c.id);
    expect(mine.every((x) => x.labels[LABEL_MANAGED] === "true" && x.labels["wharf.instance"] === instanceId)).toBe(true);
    expect((await rt.listManagedContainers()).map((x) => x.id)).toContain(c.id);
    expect(await rt.listManagedContainers({ instanceId: `other-${run}` })).toEqual([]);
  });

  it("returns log lines, demultiplexed, and follows them until aborted", async () => {
    const c = await startFresh("logs", "wharf-test/web:v1");
    const port = (await rt.inspectContainer(c.id))?.publishedPort as number;
    await waitHealthy({ runtime: rt, containerId: c.id, probe: { host: "127.0.0.1", port }, timeoutMs: 20_000 });

    const lines = [];
    for await (const l of rt.containerLogs(c.id, { tail: 50 })) lines.push(l);
    expect(lines).toContainEqual({ stream: "stdout", line: "wharf-test web v1 starting" });

    // httpd -v writes one stderr line per request: follow must deliver the one made after it started.
    const ctrl = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const l of rt.containerLogs(c.id, { follow: true, tail: 0, signal: ctrl.signal })) {
        seen.push(`${l.stream}:${l.line}`);
        if (l.stream === "stderr" && l.line.includes("response:404")) ctrl.abort();
      }
    })();
    await get(port, "/no-such-page");
    await following;
    expect(seen.some((l) => l.startsWith("stderr:") && l.includes("response:404"))).toBe(true);
  });

  describe("waitHealthy", () => {
    it("uses the HTTP probe for an image without HEALTHCHECK, waiting through refused connections", async () => {
      const c = await startFresh("slow", "wharf-test/slow:v1");
      const port = (await rt.inspectContainer(c.id))?.publishedPort as number;
      const waiting: string[] = [];
      const r = await waitHealthy({ runtime: rt, containerId: c.id, probe: { host: "127.0.0.1", port, path: "/health" }, timeoutMs: 30_000, onWaiting: (w) => waiting.push(w) });
      expect(r.via).toBe("http");
      expect(waiting.join("\n")).toMatch(/accept connections/);
    });

    it("times out with the reason when the app is not up in time", async () => {
      const c = await startFresh("slow-timeout", "wharf-test/slow:v1");
      const port = (await rt.inspectContainer(c.id))?.publishedPort as number;
      const err = await rejection(waitHealthy({ runtime: rt, containerId: c.id, probe: { host: "127.0.0.1", port }, timeoutMs: 1_000 }));
      expect(err.code).toBe("TIMEOUT");
      expect(err.message).toMatch(/not healthy after 1s/);
      expect(err.message).not.toContain("sleeping 3s before serving"); // container output stays out of errors
    });

    it("uses Docker's HEALTHCHECK when the image has one", async () => {
      const c = await startFresh("hc", "wharf-test/web-hc:v1");
      const port = (await rt.inspectContainer(c.id))?.publishedPort as number;
      const r = await waitHealthy({ runtime: rt, containerId: c.id, probe: { host: "127.0.0.1", port }, timeoutMs: 30_000 });
      expect(r.via).toBe("healthcheck");
      expect(r.container.health).toBe("healthy");
    });

    it("fails with the exit code, never the container's output, when the container exits", async () => {
      const c = await startFresh("crash", "wharf-test/crash:v1");
      const err = await rejection(waitHealthy({ runtime: rt, containerId: c.id, probe: { host: "127.0.0.1", port: 1 }, timeoutMs: 30_000 }));
      expect(err.code).toBe("PROVIDER_ERROR");
      expect(err.message).toContain("exited with code 3");
      expect(err.message).toContain("see its logs");
      expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain("wharf-test crash");
      expect(err.details).toMatchObject({ failure: "exited", exitCode: 3 });
    });

    it("fails on a crash loop that a restart policy keeps restarting", async () => {
      const c = await startFresh("crashloop", "wharf-test/crash:v1", { restartPolicy: "always" });
      const err = await rejection(waitHealthy({ runtime: rt, containerId: c.id, probe: { host: "127.0.0.1", port: 1 }, timeoutMs: 30_000 }));
      expect(["restarting", "exited"]).toContain(err.details?.failure);
      expect(err.message).toContain("code 3");
      await rt.removeContainer(c.id);
    });

    it("fails when Docker's HEALTHCHECK reports unhealthy", async () => {
      const c = await startFresh("unhealthy", "wharf-test/unhealthy:v1");
      const port = (await rt.inspectContainer(c.id))?.publishedPort as number;
      const err = await rejection(waitHealthy({ runtime: rt, containerId: c.id, probe: { host: "127.0.0.1", port }, timeoutMs: 30_000 }));
      expect(err.code).toBe("PROVIDER_ERROR");
      expect(err.details?.failure).toBe("unhealthy");
      // The app itself answers: only the HEALTHCHECK decides, as SPEC §5 says.
      expect((await get(port)).status).toBe(200);
    });
  });

  it("fails a pull of an image no reachable registry has, with the registry's error", async () => {
    const ref = `wharf-nonexistent-${run}/nothing:v1`;
    const err = await rejection(rt.pullImage(ref));
    expect(err.code).toBe("PROVIDER_ERROR");
    expect(err.message).toContain(ref.split(":")[0]);
    expect(err.message.length).toBeGreaterThan(`Docker pull of ${ref} failed: `.length);
    expect(await rt.imageExists(ref)).toBe(false);
  }, 30_000);
});
