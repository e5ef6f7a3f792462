import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PullProgress } from "./types";
import { DockerodeRuntime } from "./dockerode";

// A stand-in engine on a unix socket for the stream shapes a real registry
// produces and this machine cannot (no registry is reachable here).
const socketPath = path.join(os.tmpdir(), `wharf-fake-engine-${process.pid}.sock`);
const line = (o: object) => `${JSON.stringify(o)}\r\n`;
const open = new Set<http.ServerResponse>();
const seen: { url: string; auth?: string }[] = [];
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://engine");
  if (url.pathname === "/images/create") {
    const image = url.searchParams.get("fromImage");
    seen.push({ url: req.url ?? "", auth: req.headers["x-registry-auth"] as string | undefined });
    if (image === "127.0.0.1:5050/lab/private") {
      // What dockerd answers when distribution's htpasswd auth gets no credentials (seen on 27.x).
      const msg = 'Head "http://127.0.0.1:5050/v2/lab/private/manifests/v1": no basic auth credentials';
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ message: msg }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.write(line({ status: `Pulling from ${image}`, id: url.searchParams.get("tag") }));
    if (image === "fake/broken") {
      res.write(line({ status: "Downloading", id: "abc", progressDetail: { current: 10, total: 100 } }));
      res.end(line({ errorDetail: { message: "manifest for fake/broken:v1 not found: manifest unknown" }, error: "manifest unknown" }));
    } else if (image === "fake/stalls") {
      open.add(res); // never ends
    } else {
      res.end(line({ status: "Status: Downloaded newer image for fake/ok:v1" }));
    }
    return;
  }
  if (url.pathname === "/images/fake/ok:v1/json") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ Id: "sha256:1", Config: {} }));
    return;
  }
  res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: "No such image" }));
});

beforeAll(() => new Promise<void>((r) => server.listen(socketPath, r)));
afterAll(async () => {
  open.forEach((r) => r.destroy());
  await new Promise((r) => server.close(r));
});

describe("pullImage", () => {
  const rt = new DockerodeRuntime({ connection: { kind: "socket", socketPath }, pullIdleTimeoutMs: 300 });

  it("passes progress on and resolves once the image can be read back", async () => {
    const events: PullProgress[] = [];
    await rt.pullImage("fake/ok:v1", (p) => events.push(p));
    expect(events.map((e) => e.status)).toEqual(["Pulling from fake/ok", "Status: Downloaded newer image for fake/ok:v1"]);
  });

  it("rejects on an error event inside a 200 stream, with the registry's message", async () => {
    const events: PullProgress[] = [];
    const err = await rt.pullImage("fake/broken:v1", (p) => events.push(p)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "PROVIDER_ERROR", message: "Docker pull of fake/broken:v1 failed: manifest for fake/broken:v1 not found: manifest unknown" });
    expect(events).toContainEqual({ status: "Downloading", id: "abc", current: 10, total: 100 });
  });

  it("gives up on a pull that stops making progress", async () => {
    await expect(rt.pullImage("fake/stalls:v1")).rejects.toMatchObject({ code: "TIMEOUT", message: expect.stringContaining("made no progress") });
  });

  it("sends credentials in X-Registry-Auth, never in the URL", async () => {
    seen.length = 0;
    await rt.pullImage("fake/ok:v1", undefined, undefined, { username: "ci", password: "pa55-word", serveraddress: "127.0.0.1:5050" });
    expect(seen).toHaveLength(1);
    expect(seen[0].url).not.toContain("pa55");
    expect(decodeURIComponent(seen[0].url)).not.toContain("pa55");
    expect(JSON.parse(Buffer.from(seen[0].auth!, "base64").toString())).toEqual({ username: "ci", password: "pa55-word", serveraddress: "127.0.0.1:5050" });
  });

  it("an authentication refusal names the registry and the repository", async () => {
    await expect(rt.pullImage("127.0.0.1:5050/lab/private:v1")).rejects.toThrow(
      "registry 127.0.0.1:5050 requires credentials for lab/private: none are configured for 127.0.0.1:5050 in Settings → Registries",
    );
    await expect(rt.pullImage("127.0.0.1:5050/lab/private:v1", undefined, undefined, { username: "u", password: "p", serveraddress: "127.0.0.1:5050" })).rejects.toThrow(
      "registry 127.0.0.1:5050 refused the credentials for lab/private",
    );
  });

  it("stops when the caller aborts", async () => {
    const slow = new DockerodeRuntime({ connection: { kind: "socket", socketPath }, pullIdleTimeoutMs: 60_000 });
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(new Error("deploy cancelled")), 100);
    await expect(slow.pullImage("fake/stalls:v1", undefined, ctrl.signal)).rejects.toThrow("deploy cancelled");
  });
});
