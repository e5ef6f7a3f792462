// Pure translations between the Engine API's Swarm shapes and Wharf's (lib/swarm/types.ts).
import { createHash } from "node:crypto";
import { AppError } from "../errors";
import { LABEL_MANAGED } from "../naming";
import type { NodeInfo, ServiceInfo, ServiceSpec, TaskInfo } from "./types";

/** On every secret Wharf makes for a service: removeUnusedSecrets finds them by it. */
export const LABEL_SERVICE = "wharf.service";

const MS = 1_000_000; // nanoseconds per millisecond (the Engine API's durations)
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Busybox httpd and other PID-1 servers ignore SIGTERM: a short grace, with an init to forward signals. */
const STOP_GRACE_NS = 2_000 * MS;

/**
 * Docker secrets are immutable, so the name carries a hash of the value: a
 * new value is a new secret, and a service update swaps the reference.
 * At most 63 characters (Docker allows 64), [a-z0-9_.-].
 */
export function secretName(serviceName: string, key: string, value: string): string {
  const hash = createHash("sha256").update(value).digest("hex").slice(0, 12);
  return `${`${serviceName}-${key.toLowerCase()}`.slice(0, 50)}-${hash}`;
}

export function validateServiceSpec(spec: ServiceSpec): void {
  const bad = (field: string, message: string) => new AppError("VALIDATION", message, { field });
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(spec.name)) throw bad("name", `Service name "${spec.name}" must be 1-63 letters, digits, '.', '_' or '-'`);
  if (!spec.image.trim()) throw bad("image", "The image is required");
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) throw bad("port", `Port ${spec.port} is not between 1 and 65535`);
  if (!Number.isInteger(spec.replicas) || spec.replicas < 0) throw bad("replicas", `Replicas must be a whole number ≥ 0 (got ${spec.replicas})`);
  for (const k of [...Object.keys(spec.env), ...Object.keys(spec.secrets)]) {
    if (!KEY.test(k)) throw bad(`env.${k}`, `Environment name "${k}" must be letters, digits and '_' and not start with a digit`);
  }
  for (const k of Object.keys(spec.secrets)) {
    if (k in spec.env || `${k}_FILE` in spec.env) throw bad(`secrets.${k}`, `${k} is both a plain and a secret value`);
  }
  if (!Number.isInteger(spec.update.parallelism) || spec.update.parallelism < 0) throw bad("update.parallelism", "Update parallelism must be a whole number ≥ 0");
  if (!(spec.update.monitorMs >= 0)) throw bad("update.monitorMs", "The update monitor period must be ≥ 0");
}

function resources(r: { memoryBytes: number | null; nanoCpus: number | null }) {
  const out: Record<string, number> = {};
  if (r.memoryBytes !== null) out.MemoryBytes = r.memoryBytes;
  if (r.nanoCpus !== null) out.NanoCPUs = r.nanoCpus;
  return out;
}

/**
 * The body of POST /services/create and /services/{id}/update. `secretIds`
 * maps each secret key to the id of the Docker secret holding its value;
 * the values themselves never enter the spec. `forceUpdate` is carried over
 * from the current service on an update (bumping it restarts every task).
 */
export function serviceBody(spec: ServiceSpec, secretIds: Record<string, { id: string; name: string }>, forceUpdate = 0): Record<string, unknown> {
  const env = [
    ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    ...Object.keys(spec.secrets).map((k) => `${k}_FILE=/run/secrets/${k}`),
  ];
  const containerSpec: Record<string, unknown> = {
    Image: spec.image,
    Env: env,
    Labels: spec.labels,
    Init: true,
    StopGracePeriod: STOP_GRACE_NS,
    Secrets: Object.keys(spec.secrets).map((k) => {
      const s = secretIds[k];
      if (!s) throw new AppError("INTERNAL", `No Docker secret for ${k}`);
      return { SecretID: s.id, SecretName: s.name, File: { Name: k, UID: "0", GID: "0", Mode: 0o400 } };
    }),
    Mounts: spec.mounts.map((m) => ({ Type: "volume", Source: m.name, Target: m.target })),
  };
  // Swarm's Command is the entrypoint and Args the command (docker service create IMAGE CMD...).
  if (spec.entrypoint?.length) containerSpec.Command = spec.entrypoint;
  if (spec.command?.length) containerSpec.Args = spec.command;
  if (spec.healthcheck) {
    const h = spec.healthcheck;
    containerSpec.HealthCheck = { Test: h.test, Interval: h.intervalMs * MS, Timeout: h.timeoutMs * MS, Retries: h.retries, StartPeriod: h.startPeriodMs * MS };
  }
  return {
    Name: spec.name,
    Labels: spec.labels,
    TaskTemplate: {
      ContainerSpec: containerSpec,
      Resources: { Limits: resources(spec.limits), Reservations: resources(spec.reservations) },
      Placement: { Constraints: spec.constraints },
      Networks: spec.networks.map((n) => ({ Target: n })),
      ForceUpdate: forceUpdate,
    },
    Mode: { Replicated: { Replicas: spec.replicas } },
    UpdateConfig: { Parallelism: spec.update.parallelism, Delay: 0, FailureAction: "rollback", Monitor: spec.update.monitorMs * MS, MaxFailureRatio: 0, Order: spec.update.order },
    RollbackConfig: { Parallelism: spec.update.parallelism, Delay: 0, FailureAction: "pause", Monitor: spec.update.monitorMs * MS, MaxFailureRatio: 0, Order: "start-first" },
    // dnsrr + host-mode ports: no VIP and no routing mesh (neither needs IPVS); each task gets an engine-chosen port on its node.
    EndpointSpec: { Mode: "dnsrr", Ports: [{ Protocol: "tcp", TargetPort: spec.port, PublishMode: "host" }] },
  };
}

// The subset of the Engine API's answers read here.
export interface RawService {
  ID: string;
  Version?: { Index?: number };
  UpdatedAt?: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string> | null;
    TaskTemplate?: { ContainerSpec?: { Image?: string } & Record<string, unknown>; ForceUpdate?: number } & Record<string, unknown>;
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
  } & Record<string, unknown>;
  PreviousSpec?: { TaskTemplate?: { ContainerSpec?: { Image?: string } } } | null;
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string; CompletedAt?: string } | null;
}

export interface RawTask {
  ID: string;
  ServiceID?: string;
  NodeID?: string;
  UpdatedAt?: string;
  DesiredState?: string;
  Spec?: { ContainerSpec?: { Image?: string } & Record<string, unknown>; ForceUpdate?: number } & Record<string, unknown>;
  Status?: {
    State?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string };
    PortStatus?: { Ports?: Array<{ TargetPort?: number; PublishedPort?: number; Protocol?: string }> | null };
  };
}

export interface RawNode {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> | null; Name?: string };
  Description?: { Hostname?: string; Platform?: { OS?: string; Architecture?: string }; Engine?: { EngineVersion?: string; Labels?: Record<string, string> | null } };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Addr?: string } | null;
}

const UPDATE_STATES: readonly NonNullable<ServiceInfo["updateState"]>[] = ["updating", "paused", "completed", "rollback_started", "rollback_paused", "rollback_completed"];

export function serviceInfo(s: RawService): ServiceInfo {
  const state = s.UpdateStatus?.State;
  return {
    id: s.ID,
    name: s.Spec.Name,
    version: s.Version?.Index ?? 0,
    labels: s.Spec.Labels ?? {},
    image: s.Spec.TaskTemplate?.ContainerSpec?.Image ?? "",
    replicas: s.Spec.Mode?.Replicated?.Replicas ?? 0,
    updateState: UPDATE_STATES.includes(state as ServiceInfo["updateState"] & string) ? (state as ServiceInfo["updateState"]) : null,
    updateMessage: s.UpdateStatus?.Message || null,
    previousImage: s.PreviousSpec?.TaskTemplate?.ContainerSpec?.Image ?? null,
  };
}

/** `port`: the service's target port, whose host-mode published port is wanted. */
export function taskInfo(t: RawTask, port: number | null, nodes: Map<string, { hostname: string; address: string }>): TaskInfo {
  const node = nodes.get(t.NodeID ?? "");
  const published = (t.Status?.PortStatus?.Ports ?? []).find((p) => (port === null || p.TargetPort === port) && p.PublishedPort)?.PublishedPort;
  return {
    id: t.ID,
    nodeId: t.NodeID ?? "",
    node: node?.hostname ?? "",
    nodeAddress: node?.address ?? "",
    state: t.Status?.State ?? "unknown",
    desiredState: t.DesiredState ?? "unknown",
    publishedPort: published ?? null,
    containerId: t.Status?.ContainerStatus?.ContainerID || null,
    image: t.Spec?.ContainerSpec?.Image ?? "",
    error: t.Status?.Err || null,
    updatedAt: t.UpdatedAt ?? "",
  };
}

/** Desired state running first, then the most recently changed. */
export function sortTasks(tasks: TaskInfo[]): TaskInfo[] {
  const rank = (t: TaskInfo) => (t.desiredState === "running" ? 0 : 1);
  return [...tasks].sort((a, b) => rank(a) - rank(b) || b.updatedAt.localeCompare(a.updatedAt));
}

export function nodeInfo(n: RawNode): NodeInfo {
  const availability = n.Spec?.Availability;
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? "",
    role: n.Spec?.Role === "manager" ? "manager" : "worker",
    availability: availability === "pause" || availability === "drain" ? availability : "active",
    state: n.Status?.State ?? "unknown",
    // A manager's Status.Addr can be 0.0.0.0 on some engines; its ManagerStatus.Addr (ip:2377) names it.
    address: n.Status?.Addr && n.Status.Addr !== "0.0.0.0" ? n.Status.Addr : (n.ManagerStatus?.Addr?.replace(/:\d+$/, "") ?? ""),
    labels: n.Spec?.Labels ?? {},
    engineLabels: n.Description?.Engine?.Labels ?? {},
    platform: { os: n.Description?.Platform?.OS ?? "", arch: n.Description?.Platform?.Architecture ?? "" },
    engineVersion: n.Description?.Engine?.EngineVersion ?? null,
  };
}

/** Keys in a fixed order, so two specs from the engine compare by content. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * Whether a task runs the service's current task template. A task's Spec is
 * the template minus fields such as RestartPolicy and Runtime, so the parts
 * a change of Wharf's replaces tasks for are compared: the container spec
 * (image, env, secrets, mounts, command, health check), resources, placement
 * and ForceUpdate. (Networks are not: a task's list names them differently.)
 */
export function taskRunsCurrentSpec(task: RawTask, service: RawService): boolean {
  const tt = service.Spec.TaskTemplate ?? {};
  const ts = (task.Spec ?? {}) as Record<string, unknown>;
  return (["ContainerSpec", "Resources", "Placement"] as const).every((k) => canonical(ts[k] ?? {}) === canonical(tt[k] ?? {})) && (ts.ForceUpdate ?? 0) === (tt.ForceUpdate ?? 0);
}

/** Engine answers that an update named a stale version (moby#30794): re-inspect and retry. */
export function outOfSequence(err: unknown): boolean {
  return /update out of sequence/i.test(err instanceof Error ? err.message : String(err));
}

export function isManaged(labels: Record<string, string> | null | undefined): boolean {
  return labels?.[LABEL_MANAGED] === "true";
}
