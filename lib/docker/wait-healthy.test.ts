import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerInfo, ContainerRuntime } from "./types";
import { httpProbe, waitHealthy } from "./wait-healthy";

const base: ContainerInfo = {
  id: "c1", name: "wharf-app-1", image: "app:v1", state: "running", health: null, exitCode: null,
  labels: {}, publishedPort: null, startedAt: null, error: null,
};

/** Inspect answers from a script (the last one repeats); logs are fixed. */
function stubRuntime(states: Array<Partial<ContainerInfo> | null>, logs: string[] = []): ContainerRuntime {
  let i = 0;
  return {
    inspectContainer: async () => {
      const s = states[Math.min(i++, states.length - 1)];
      return s === null ? null : { ...base, ...s };
    },
    containerLogs: async function* () {
      for (const line of logs) yield { stream: "stdout" as const, line };
    },
  } as unknown as ContainerRuntime;
}

let status = 503;
const server = http.createServer((_req, res) => res.writeHead(status).end());
let port = 0;
beforeAll(() => new Promise<void>((r) => server.listen(0, "127.0.0.1", () => ((port = (server.address() as AddressInfo).port), r()))));
afterAll(() => new Promise((r) => server.close(r)));

describe("httpProbe", () => {
  it("reports any HTTP answer and a refused connection without throwing", async () => {
    status = 404;
    expect(await httpProbe({ host: "127.0.0.1", port })).toEqual({ kind: "response", status: 404 });
    expect(await httpProbe({ host: "127.0.0.1", port: 1 })).toEqual({ kind: "unreachable", reason: "ECONNREFUSED" });
  });
});

describe("waitHealthy", () => {
  it("keeps probing through 5xx until the app answers below 500", async () => {
    status = 503;
    setTimeout(() => (status = 200), 150);
    const waiting: string[] = [];
    const r = await waitHealthy({ runtime: stubRuntime([{ state: "created" }, {}]), containerId: "c1", probe: { host: "127.0.0.1", port }, intervalMs: 20, timeoutMs: 10_000, onWaiting: (w) => waiting.push(w) });
    expect(r.via).toBe("http");
    expect(waiting[0]).toMatch(/state created/);
    expect(waiting).toContain("an HTTP answer below 500 (got 503)");
  });

  it("puts the exit code into the error, never the container output", async () => {
    // Running at first look, then gone: the settle time without a probe catches the early crash.
    const rt = stubRuntime([{ startedAt: "t1" }, { state: "exited", exitCode: 2 }], ["booting", "panic: no config"]);
    const err = await waitHealthy({ runtime: rt, containerId: "c1", intervalMs: 10, timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "PROVIDER_ERROR", details: { failure: "exited", exitCode: 2 } });
    // Container output (it may hold secrets) stays out of the error and its details.
    expect((err as Error).message).toBe("Container wharf-app-1 did not become healthy: the container exited with code 2 during the health wait; see its logs");
    expect(JSON.stringify({ message: (err as Error).message, details: (err as { details: unknown }).details })).not.toMatch(/booting|panic/);
  });

  it("without a probe, accepts a container once it stayed running, restarting the count on a restart", async () => {
    const rt = stubRuntime([{ startedAt: "t1" }, { startedAt: "t2" }, { startedAt: "t2" }]);
    const waiting: string[] = [];
    const r = await waitHealthy({ runtime: rt, containerId: "c1", intervalMs: 100, timeoutMs: 10_000, onWaiting: (w) => waiting.push(w) });
    expect(r.via).toBe("running");
    expect(waiting).toEqual(["the container to stay running for 2s"]);
  });

  it("fails when the container disappears", async () => {
    await expect(waitHealthy({ runtime: stubRuntime([null]), containerId: "c1" })).rejects.toMatchObject({ details: { failure: "gone" } });
  });

  it("stops with the caller's reason when aborted", async () => {
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(new Error("deploy cancelled")), 50);
    const rt = stubRuntime([{ health: "starting" }]);
    await expect(waitHealthy({ runtime: rt, containerId: "c1", intervalMs: 1_000, timeoutMs: 60_000, signal: ctrl.signal })).rejects.toThrow("deploy cancelled");
  });
});
