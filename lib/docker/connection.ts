// Where the Docker engine is, from the same variables the docker CLI reads.
import fs from "node:fs";
import type { Agent } from "node:http";
import os from "node:os";
import path from "node:path";
import type { DockerOptions } from "dockerode";
import { AppError } from "../errors";
import { sshDockerAgent } from "./ssh-transport";

export const DEFAULT_SOCKET = "/var/run/docker.sock";

export interface DockerEnv {
  DOCKER_HOST?: string;
  DOCKER_TLS_VERIFY?: string;
  DOCKER_CERT_PATH?: string;
}

export type DockerConnection =
  | { kind: "socket"; socketPath: string }
  | { kind: "tcp"; host: string; port: number; tls: { caPath: string; certPath: string; keyPath: string } | null }
  /** Mutual TLS with PEM texts held in memory (a Server's stored credentials); the engine's certificate is verified against `ca`. */
  | { kind: "tls"; host: string; port: number; ca: string; cert: string; key: string }
  /** One pooled SSH connection per server (ssh-transport.ts); `hostKey` is the recorded "SHA256:<base64>" fingerprint. */
  | { kind: "ssh"; host: string; port: number; username: string; privateKey: string; hostKey: string };

// The docker CLI treats any non-empty value as "on"; "0"/"false" are accepted
// as "off" too because compose files and .env templates write them that way.
function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** Pure: reads no files, so every DOCKER_HOST shape is unit-testable. */
export function parseDockerHost(env: DockerEnv, homeDir: string = os.homedir()): DockerConnection {
  const raw = env.DOCKER_HOST?.trim();
  if (!raw) return { kind: "socket", socketPath: DEFAULT_SOCKET };
  if (raw.startsWith("unix://")) return { kind: "socket", socketPath: raw.slice("unix://".length) || DEFAULT_SOCKET };
  if (!raw.startsWith("tcp://")) {
    throw new AppError("VALIDATION", `DOCKER_HOST "${raw}" is not supported: use unix:///path/to/docker.sock or tcp://host:port`, {
      field: "DOCKER_HOST",
    });
  }
  let url: URL;
  try {
    url = new URL(`http://${raw.slice("tcp://".length)}`);
  } catch {
    throw new AppError("VALIDATION", `DOCKER_HOST "${raw}" is not a valid tcp://host:port address`, { field: "DOCKER_HOST" });
  }
  const tlsOn = truthy(env.DOCKER_TLS_VERIFY);
  const certDir = env.DOCKER_CERT_PATH?.trim() || path.join(homeDir, ".docker");
  // URL keeps IPv6 hosts bracketed; http.request wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    kind: "tcp",
    host,
    // Docker's registered ports: 2376 with TLS, 2375 without.
    port: url.port ? Number(url.port) : tlsOn ? 2376 : 2375,
    tls: tlsOn
      ? { caPath: path.join(certDir, "ca.pem"), certPath: path.join(certDir, "cert.pem"), keyPath: path.join(certDir, "key.pem") }
      : null,
  };
}

/** Human-readable address for error messages and the health page. */
export function describeConnection(c: DockerConnection): string {
  if (c.kind === "socket") return `unix://${c.socketPath}`;
  const host = c.host.includes(":") ? `[${c.host}]` : c.host;
  if (c.kind === "tls") return `tls://${host}:${c.port}`;
  if (c.kind === "ssh") return `ssh://${c.username}@${host}:${c.port}`;
  return `tcp://${host}:${c.port}${c.tls ? " (TLS)" : ""}`;
}

const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/;

function pem(value: string, field: string, what: string): string {
  if (!PEM.test(value ?? "")) throw new AppError("VALIDATION", `The ${what} is not in PEM format (-----BEGIN …-----)`, { field });
  return value;
}

export function dockerodeOptions(c: DockerConnection): DockerOptions {
  // docker-modem also reads DOCKER_HOST itself and merges it under ours: the
  // explicit undefineds stop a stray variable from switching the transport.
  if (c.kind === "socket") return { socketPath: c.socketPath, host: undefined, port: undefined };
  if (c.kind === "tls") {
    // https with the CA given: Node verifies the chain and the name (an IP address against the
    // certificate's IP SANs); rejectUnauthorized stays at its default, true.
    return {
      host: c.host,
      port: c.port,
      protocol: "https",
      socketPath: undefined,
      ca: pem(c.ca, "ca", "CA certificate"),
      cert: pem(c.cert, "cert", "client certificate"),
      key: pem(c.key, "key", "client key"),
    };
  }
  if (c.kind === "ssh") {
    // host/port only name the request (Host header); every byte goes through the agent's SSH channels.
    // docker-modem takes `agent` (modem.js); @types/dockerode does not list it.
    const opts: DockerOptions & { agent: Agent } = { host: c.host, port: c.port, protocol: "http", socketPath: undefined, agent: sshDockerAgent(c) };
    return opts;
  }
  const base: DockerOptions = { host: c.host, port: c.port, protocol: c.tls ? "https" : "http", socketPath: undefined };
  if (!c.tls) return base;
  const read = (file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new AppError("VALIDATION", `Cannot read Docker TLS file ${file}: ${(err as Error).message}`, { field: "DOCKER_CERT_PATH" });
    }
  };
  return { ...base, ca: read(c.tls.caPath), cert: read(c.tls.certPath), key: read(c.tls.keyPath) };
}
