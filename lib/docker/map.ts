// Pure translations between the Docker Engine API's shapes and Wharf's.
import type Docker from "dockerode";
import { AppError } from "../errors";
import type { ContainerInfo, ContainerSpec, ContainerState } from "./types";

const STATES: readonly ContainerState[] = ["created", "running", "paused", "restarting", "removing", "exited", "dead"];
const ZERO_TIME = "0001-01-01T00:00:00Z";

function toState(s: string | undefined): ContainerState {
  // Unknown future states are treated as not running, which is the safe reading for health and reconcile.
  return STATES.includes(s as ContainerState) ? (s as ContainerState) : "dead";
}

function toHealth(s: string | undefined): ContainerInfo["health"] {
  return s === "starting" || s === "healthy" || s === "unhealthy" ? s : null;
}

type PortMap = Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null | undefined;

function firstPublishedPort(ports: PortMap): number | null {
  for (const bindings of Object.values(ports ?? {})) {
    const hostPort = Number(bindings?.find((b) => b.HostPort)?.HostPort);
    if (Number.isInteger(hostPort) && hostPort > 0) return hostPort;
  }
  return null;
}

export function containerInfoFromInspect(i: Docker.ContainerInspectInfo): ContainerInfo {
  const state = toState(i.State?.Status);
  const hasRun = state !== "created" && state !== "running" && state !== "paused";
  const error = i.State?.Error || (i.State?.OOMKilled ? "killed: out of memory" : "");
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ""),
    image: i.Config?.Image ?? i.Image,
    state,
    health: toHealth(i.State?.Health?.Status),
    // ExitCode is 0 before the first exit; only report it once there was one.
    exitCode: hasRun ? (i.State?.ExitCode ?? null) : null,
    labels: i.Config?.Labels ?? {},
    // Bindings show up in NetworkSettings only while running; the host port is engine-chosen.
    publishedPort: firstPublishedPort(i.NetworkSettings?.Ports as PortMap),
    startedAt: i.State?.StartedAt && i.State.StartedAt !== ZERO_TIME ? i.State.StartedAt : null,
    error: error || null,
  };
}

/**
 * From a list entry. The list API carries health and exit code only inside
 * its human `Status` text ("Up 2 minutes (healthy)", "Exited (3) 5 seconds
 * ago") and no start time; inspect the container when those matter.
 */
export function containerInfoFromSummary(c: Docker.ContainerInfo): ContainerInfo {
  const status = c.Status ?? "";
  const health = /\((healthy|unhealthy|health: starting)\)/.exec(status)?.[1];
  const exit = /^Exited \((-?\d+)\)/.exec(status)?.[1];
  const published = c.Ports?.find((p) => p.PublicPort)?.PublicPort;
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id).replace(/^\//, ""),
    image: c.Image,
    state: toState(c.State),
    health: health === "health: starting" ? "starting" : toHealth(health),
    exitCode: exit === undefined ? null : Number(exit),
    labels: c.Labels ?? {},
    publishedPort: published ?? null,
    startedAt: null,
    error: null,
  };
}

/** Body of POST /containers/create for a spec. */
export function createBody(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const port = `${spec.port}/tcp`;
  return {
    Image: spec.image,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: spec.labels,
    ExposedPorts: { [port]: {} },
    HostConfig: {
      NetworkMode: spec.network,
      RestartPolicy: { Name: spec.restartPolicy },
      // HostPort "" lets the engine choose a free port; it is read back after start.
      PortBindings: spec.publishOn ? { [port]: [{ HostIp: spec.publishOn, HostPort: "" }] } : undefined,
    },
    NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: spec.networkAliases ?? [] } } },
  };
}

/** Whether an existing container is the one `wanted` describes; images may add labels of their own. */
export function labelsMatch(actual: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => actual[k] === v);
}

export function engineStatus(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === "number" ? s : undefined;
}

const UNREACHABLE = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "ENOTFOUND", "EPIPE"]);

/** One error shape for every engine failure, naming the operation and the engine. */
export function engineError(op: string, err: unknown, endpoint: string): AppError {
  if (err instanceof AppError) return err;
  const status = engineStatus(err);
  if (status !== undefined) {
    const json = (err as { json?: unknown }).json;
    const engineMsg =
      (json && typeof json === "object" && typeof (json as { message?: unknown }).message === "string" && (json as { message: string }).message) ||
      // docker-modem's text is "(HTTP code 500) server error - <engine message> ".
      String((err as Error).message).replace(/^\(HTTP code \d+\) [^-]*- /, "").trim();
    const code = status === 404 ? "NOT_FOUND" : status === 409 ? "CONFLICT" : status === 400 ? "VALIDATION" : "PROVIDER_ERROR";
    return new AppError(code, `Docker ${op} failed: ${engineMsg}`, { details: { status }, cause: err });
  }
  const sysCode = (err as { code?: unknown } | null)?.code;
  if (typeof sysCode === "string" && UNREACHABLE.has(sysCode)) {
    return new AppError("UNAVAILABLE", `Docker engine unreachable at ${endpoint} (${op}): ${(err as Error).message}`, { cause: err });
  }
  return new AppError("PROVIDER_ERROR", `Docker ${op} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
