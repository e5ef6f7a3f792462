// Pure translations between the Docker Engine API's shapes and Wharf's.
import type Docker from "dockerode";
import { AppError } from "../errors";
import type { ContainerInfo, ContainerSpec, ContainerState, ContainerStats, VolumeInfo } from "./types";

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
    oomKilled: i.State?.OOMKilled === true,
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
  const exposed: Record<string, object> = { [port]: {} };
  // HostPort "" lets the engine choose a free port; it is read back after start.
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = spec.publishOn ? { [port]: [{ HostIp: spec.publishOn, HostPort: "" }] } : {};
  for (const p of spec.ports ?? []) {
    const key = `${p.containerPort}/tcp`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  }
  return {
    Image: spec.image,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: spec.labels,
    ExposedPorts: exposed,
    HostConfig: {
      NetworkMode: spec.network,
      RestartPolicy: { Name: spec.restartPolicy },
      PortBindings: Object.keys(bindings).length ? bindings : undefined,
      Mounts: spec.mounts?.length
        ? spec.mounts.map((m) =>
            m.type === "volume"
              ? { Type: "volume" as const, Source: m.name, Target: m.target }
              : { Type: "bind" as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly },
          )
        : undefined,
      // MemorySwap = Memory: the limit is a real cap, not "this much RAM plus as much swap again".
      ...(spec.memoryBytes ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
      ...(spec.memoryReservationBytes ? { MemoryReservation: spec.memoryReservationBytes } : {}),
      ...(spec.nanoCpus ? { NanoCpus: spec.nanoCpus } : {}),
      ...(spec.pidsLimit ? { PidsLimit: spec.pidsLimit } : {}),
      ...(spec.sysctls && Object.keys(spec.sysctls).length ? { Sysctls: spec.sysctls } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: spec.networkAliases ?? [] } } },
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
  };
}

export function volumeInfo(v: { Name: string; Labels?: Record<string, string> | null; CreatedAt?: string; UsageData?: { Size?: number; RefCount?: number } | null }): VolumeInfo {
  const size = v.UsageData?.Size;
  const refs = v.UsageData?.RefCount;
  return {
    name: v.Name,
    labels: v.Labels ?? {},
    createdAt: v.CreatedAt ?? null,
    // -1 is the engine's "not computed" (volume list without df).
    sizeBytes: typeof size === "number" && size >= 0 ? size : null,
    refCount: typeof refs === "number" && refs >= 0 ? refs : null,
  };
}

type RawStats = {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op?: string; value?: number }> | null };
};

/**
 * Reduces a stats answer. Memory "used" is what `docker stats` shows: usage
 * minus the page cache the kernel can drop (cgroup v1 `total_inactive_file`
 * / `cache`, v2 `inactive_file`). Null when the container is not running
 * (the engine then answers with zeroes and no `read` time).
 */
export function statsFromRaw(raw: RawStats, now = new Date()): ContainerStats | null {
  const cpu = raw.cpu_stats;
  const mem = raw.memory_stats;
  if (!cpu?.cpu_usage || !mem || mem.usage === undefined) return null;
  const s = mem.stats ?? {};
  const cache = s.total_inactive_file ?? s.inactive_file ?? s.cache ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(raw.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  let read = 0;
  let write = 0;
  for (const e of raw.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = (e.op ?? "").toLowerCase();
    if (op === "read") read += e.value ?? 0;
    else if (op === "write") write += e.value ?? 0;
  }
  const at = raw.read && !raw.read.startsWith("0001-") ? new Date(raw.read) : now;
  return {
    at,
    cpuTotalNs: cpu.cpu_usage.total_usage ?? 0,
    systemCpuNs: cpu.system_cpu_usage ?? null,
    onlineCpus: cpu.online_cpus || cpu.cpu_usage.percpu_usage?.length || 1,
    memoryBytes: Math.max(0, mem.usage - cache),
    memoryLimitBytes: mem.limit ?? 0,
    netRx: rx,
    netTx: tx,
    blockRead: read,
    blockWrite: write,
  };
}

/** CPU % between two reads of one container, as `docker stats` computes it (100% = one core fully busy). */
export function cpuPercent(prev: ContainerStats | undefined, cur: ContainerStats): number | null {
  if (!prev || prev.systemCpuNs === null || cur.systemCpuNs === null) return null;
  const cpuDelta = cur.cpuTotalNs - prev.cpuTotalNs;
  const sysDelta = cur.systemCpuNs - prev.systemCpuNs;
  // A restart resets the container's counter: no meaningful delta.
  if (cpuDelta < 0 || sysDelta <= 0) return null;
  return (cpuDelta / sysDelta) * cur.onlineCpus * 100;
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
