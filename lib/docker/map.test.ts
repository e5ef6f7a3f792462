import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { containerInfoFromInspect, containerInfoFromSummary, createBody, engineError, labelsMatch } from "./map";

describe("createBody", () => {
  it("puts the container on its network with aliases, labels, env, restart policy and an engine-chosen loopback port", () => {
    const body = createBody({
      name: "wharf-web-abc", image: "web:v1", env: { A: "1", B: "x=y" }, labels: { "wharf.managed": "true" },
      network: "wharf", networkAliases: ["wharf-web"], port: 8080, publishOn: "127.0.0.1", restartPolicy: "unless-stopped",
    });
    expect(body).toEqual({
      Image: "web:v1",
      Env: ["A=1", "B=x=y"],
      Labels: { "wharf.managed": "true" },
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: {
        NetworkMode: "wharf",
        RestartPolicy: { Name: "unless-stopped" },
        PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
      },
      NetworkingConfig: { EndpointsConfig: { wharf: { Aliases: ["wharf-web"] } } },
    });
  });

  it("publishes nothing without publishOn", () => {
    const body = createBody({ name: "n", image: "i", env: {}, labels: {}, network: "net", port: 80, restartPolicy: "no" });
    expect(body.HostConfig?.PortBindings).toBeUndefined();
    expect(body.NetworkingConfig?.EndpointsConfig?.net).toEqual({ Aliases: [] });
  });
});

describe("container info", () => {
  const inspect = (state: Record<string, unknown>, ports: unknown = {}) =>
    ({
      Id: "abc", Name: "/wharf-web", Image: "sha256:1", Config: { Image: "web:v1", Labels: { a: "b" } },
      State: { Status: "running", ExitCode: 0, Error: "", OOMKilled: false, StartedAt: "2026-11-21T10:00:00Z", ...state },
      NetworkSettings: { Ports: ports },
    }) as unknown as Docker.ContainerInspectInfo;

  it("maps a running container with its published port and health", () => {
    const info = containerInfoFromInspect(
      inspect({ Health: { Status: "healthy" } }, { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "32771" }], "9000/tcp": null }),
    );
    expect(info).toEqual({
      id: "abc", name: "wharf-web", image: "web:v1", state: "running", health: "healthy", exitCode: null,
      labels: { a: "b" }, publishedPort: 32771, startedAt: "2026-11-21T10:00:00Z", error: null, oomKilled: false,
    });
  });

  it("reports an exit code only after an exit, and OOM as the error", () => {
    expect(containerInfoFromInspect(inspect({ Status: "exited", ExitCode: 3 })).exitCode).toBe(3);
    expect(containerInfoFromInspect(inspect({ Status: "created", StartedAt: "0001-01-01T00:00:00Z" }))).toMatchObject({ exitCode: null, startedAt: null });
    expect(containerInfoFromInspect(inspect({ Status: "exited", ExitCode: 137, OOMKilled: true })).error).toMatch(/out of memory/);
    expect(containerInfoFromInspect(inspect({ Status: "exited", ExitCode: 137, OOMKilled: true })).oomKilled).toBe(true);
  });

  it("reads health and exit code out of a list entry's status text", () => {
    const base = { Id: "x", Names: ["/n"], Image: "i", Labels: {}, Ports: [] } as unknown as Docker.ContainerInfo;
    expect(containerInfoFromSummary({ ...base, State: "running", Status: "Up 3 seconds (health: starting)" })).toMatchObject({ health: "starting", exitCode: null });
    expect(containerInfoFromSummary({ ...base, State: "running", Status: "Up 1 minute (unhealthy)" }).health).toBe("unhealthy");
    expect(containerInfoFromSummary({ ...base, State: "exited", Status: "Exited (3) 2 seconds ago" })).toMatchObject({ state: "exited", exitCode: 3 });
    expect(containerInfoFromSummary({ ...base, State: "running", Status: "Up", Ports: [{ IP: "127.0.0.1", PrivatePort: 8080, PublicPort: 32000, Type: "tcp" }] }).publishedPort).toBe(32000);
  });
});

describe("labelsMatch", () => {
  it("requires every wanted label and tolerates labels the image added", () => {
    expect(labelsMatch({ a: "1", b: "2", img: "x" }, { a: "1", b: "2" })).toBe(true);
    expect(labelsMatch({ a: "1" }, { a: "1", b: "2" })).toBe(false);
    expect(labelsMatch({ a: "1", b: "3" }, { a: "1", b: "2" })).toBe(false);
  });
});

describe("engineError", () => {
  const http = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json: { message } });

  it("keeps the engine's own message and maps the status to a code", () => {
    expect(engineError("start container x", http(404, "No such container: x"), "unix:///s")).toMatchObject({ code: "NOT_FOUND", message: "Docker start container x failed: No such container: x" });
    expect(engineError("op", http(409, "Conflict"), "e").code).toBe("CONFLICT");
    expect(engineError("op", http(500, "boom"), "e").code).toBe("PROVIDER_ERROR");
  });

  it("falls back to modem's text when the body was not JSON", () => {
    const err = Object.assign(new Error("(HTTP code 500) server error - Get \"https://registry-1.docker.io/v2/\": no such host "), { statusCode: 500 });
    expect(engineError("pull", err, "e").message).toBe('Docker pull failed: Get "https://registry-1.docker.io/v2/": no such host');
  });

  it("names the engine address when it cannot be reached", () => {
    const err = Object.assign(new Error("connect ENOENT /nope.sock"), { code: "ENOENT" });
    const e = engineError("version", err, "unix:///nope.sock");
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ code: "UNAVAILABLE", message: expect.stringContaining("unreachable at unix:///nope.sock") });
  });
});
