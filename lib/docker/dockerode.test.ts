import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { DockerodeRuntime } from "./dockerode";

// No engine needed: these pin how the runtime behaves when the engine is missing, silent or misconfigured.
describe("DockerodeRuntime without a working engine", () => {
  const missing = new DockerodeRuntime({ connection: { kind: "socket", socketPath: path.join(os.tmpdir(), `wharf-missing-${process.pid}.sock`) } });

  // A socket that accepts connections and never answers, like a hung engine.
  const silentPath = path.join(os.tmpdir(), `wharf-silent-${process.pid}.sock`);
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => void sockets.push(s));
  const listening = new Promise<void>((r) => silent.listen(silentPath, r));
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((r) => silent.close(r));
  });

  it("ping reports the failure instead of throwing", async () => {
    const p = await missing.ping();
    expect(p.ok).toBe(false);
    expect(p.message).toContain("unreachable at unix://");
  });

  it("every call fails with UNAVAILABLE naming the engine address", async () => {
    await expect(missing.inspectContainer("x")).rejects.toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining("wharf-missing") });
    await expect(missing.listManagedContainers()).rejects.toBeInstanceOf(AppError);
  });

  it("a silent engine times out instead of hanging", async () => {
    await listening;
    const rt = new DockerodeRuntime({ connection: { kind: "socket", socketPath: silentPath }, timeoutMs: 300 });
    await expect(rt.imageExists("web:v1")).rejects.toMatchObject({ code: "TIMEOUT" });
    expect((await rt.ping()).ok).toBe(false);
  });

  it("a caller's abort wins over the engine error", async () => {
    await listening;
    const rt = new DockerodeRuntime({ connection: { kind: "socket", socketPath: silentPath }, timeoutMs: 5_000 });
    const ctrl = new AbortController();
    const pulling = rt.pullImage("web:v1", undefined, ctrl.signal);
    setTimeout(() => ctrl.abort(new Error("cancelled by operator")), 50);
    await expect(pulling).rejects.toThrow("cancelled by operator");
  });

  it("a bad DOCKER_HOST does not throw at construction; calls and ping report it", async () => {
    const rt = new DockerodeRuntime({ env: { DOCKER_HOST: "ssh://me@host" } });
    expect((await rt.ping()).message).toMatch(/DOCKER_HOST "ssh:\/\/me@host" is not supported/);
    await expect(rt.imageExists("x")).rejects.toMatchObject({ code: "VALIDATION" });
  });
});
