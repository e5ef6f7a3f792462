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

describe("remote engines (issue 27)", () => {
  const pemOf = (label: string) => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
  const tls = { kind: "tls" as const, host: "198.18.0.11", port: 2376, ca: pemOf("CERTIFICATE"), cert: pemOf("CERTIFICATE"), key: pemOf("PRIVATE KEY") };
  const ssh = {
    kind: "ssh" as const,
    host: "198.18.0.12",
    port: 22,
    username: "deploy",
    privateKey: pemOf("OPENSSH PRIVATE KEY"),
    hostKey: "SHA256:ecMPJPnhRNo97H2/6xJhmuM4CLZgMadwZwZn8lCd4yk",
  };

  it("describes them as tls://host:port and ssh://user@host:port", () => {
    expect(describeConnection(tls)).toBe("tls://198.18.0.11:2376");
    expect(describeConnection(ssh)).toBe("ssh://deploy@198.18.0.12:22");
    expect(describeConnection({ ...ssh, host: "2001:db8::5" })).toBe("ssh://deploy@[2001:db8::5]:22");
  });

  it("gives dockerode https with the PEM texts, never turning verification off", () => {
    const o = dockerodeOptions(tls) as Record<string, unknown>;
    expect(o).toMatchObject({ host: "198.18.0.11", port: 2376, protocol: "https", ca: tls.ca, cert: tls.cert, key: tls.key, socketPath: undefined });
    expect(o).not.toHaveProperty("rejectUnauthorized");
  });

  it("refuses TLS material that is not PEM, naming the field and not echoing it", () => {
    for (const field of ["ca", "cert", "key"] as const) {
      const err = (() => {
        try {
          dockerodeOptions({ ...tls, [field]: "secret-not-pem" });
        } catch (e) {
          return e as AppError;
        }
        throw new Error("accepted");
      })();
      expect(err).toBeInstanceOf(AppError);
      expect(err.field).toBe(field);
      expect(err.message).not.toContain("secret-not-pem");
    }
  });

  it("routes SSH through an agent (one pooled connection), and never without a recorded host key", () => {
    const o = dockerodeOptions(ssh) as Record<string, unknown>;
    expect(o).toMatchObject({ host: "198.18.0.12", port: 22, protocol: "http", socketPath: undefined });
    expect(o.agent).toBeDefined();
    expect(o).not.toHaveProperty("sshOptions"); // docker-modem's own per-request ssh transport stays unused
    for (const hostKey of ["", "ecMPJPnhRNo97H2", "MD5:ab:cd"]) {
      expect(() => dockerodeOptions({ ...ssh, hostKey })).toThrow(expect.objectContaining({ code: "VALIDATION", field: "hostKey" }));
    }
    expect(() => dockerodeOptions({ ...ssh, username: " " })).toThrow(expect.objectContaining({ field: "username" }));
    expect(() => dockerodeOptions({ ...ssh, privateKey: "" })).toThrow(expect.objectContaining({ field: "privateKey" }));
  });
});
