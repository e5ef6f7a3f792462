import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { describeConnection, dockerodeOptions, parseDockerHost } from "./connection";

describe("parseDockerHost", () => {
  it("defaults to the local socket", () => {
    expect(parseDockerHost({})).toEqual({ kind: "socket", socketPath: "/var/run/docker.sock" });
    expect(parseDockerHost({ DOCKER_HOST: "" })).toEqual({ kind: "socket", socketPath: "/var/run/docker.sock" });
  });

  it("reads unix:// paths", () => {
    expect(parseDockerHost({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" })).toEqual({ kind: "socket", socketPath: "/run/user/1000/docker.sock" });
    expect(parseDockerHost({ DOCKER_HOST: "unix://" })).toEqual({ kind: "socket", socketPath: "/var/run/docker.sock" });
  });

  it("reads tcp:// without TLS, defaulting to port 2375", () => {
    expect(parseDockerHost({ DOCKER_HOST: "tcp://10.0.0.5" })).toEqual({ kind: "tcp", host: "10.0.0.5", port: 2375, tls: null });
    expect(parseDockerHost({ DOCKER_HOST: "tcp://docker.test:2375", DOCKER_TLS_VERIFY: "0" })).toMatchObject({ port: 2375, tls: null });
  });

  it("reads tcp:// with TLS and the cert files from DOCKER_CERT_PATH or ~/.docker", () => {
    expect(parseDockerHost({ DOCKER_HOST: "tcp://docker.test", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/certs" })).toEqual({
      kind: "tcp",
      host: "docker.test",
      port: 2376,
      tls: { caPath: "/certs/ca.pem", certPath: "/certs/cert.pem", keyPath: "/certs/key.pem" },
    });
    expect(parseDockerHost({ DOCKER_HOST: "tcp://docker.test:3000", DOCKER_TLS_VERIFY: "1" }, "/home/op")).toMatchObject({
      port: 3000,
      tls: { caPath: "/home/op/.docker/ca.pem" },
    });
  });

  it("unbrackets IPv6 hosts and describes them bracketed", () => {
    const c = parseDockerHost({ DOCKER_HOST: "tcp://[::1]:2375" });
    expect(c).toMatchObject({ host: "::1", port: 2375 });
    expect(describeConnection(c)).toBe("tcp://[::1]:2375");
  });

  it("refuses schemes Wharf does not speak, naming the variable", () => {
    for (const h of ["ssh://me@host", "npipe:////./pipe/docker_engine", "http://x:1"]) {
      let e: unknown;
      try {
        parseDockerHost({ DOCKER_HOST: h });
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).field).toBe("DOCKER_HOST");
    }
  });

  it("builds dockerode options that cannot fall back to another transport", () => {
    expect(dockerodeOptions({ kind: "socket", socketPath: "/s.sock" })).toEqual({ socketPath: "/s.sock", host: undefined, port: undefined });
    expect(dockerodeOptions({ kind: "tcp", host: "h", port: 1, tls: null })).toMatchObject({ host: "h", port: 1, protocol: "http" });
    expect(() => dockerodeOptions({ kind: "tcp", host: "h", port: 1, tls: { caPath: "/nope/ca.pem", certPath: "/nope/c", keyPath: "/nope/k" } })).toThrow(
      /Cannot read Docker TLS file \/nope\/ca\.pem/,
    );
  });
});
