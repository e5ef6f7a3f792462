import type { BindRequest } from "./bind-source";
import type { TarEntry } from "./tar";

/** What Wharf asks the engine to run for one deployment of an instance. */
export interface ContainerSpec {
  name: string;
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  network: string;
  /** Extra DNS names on `network` (the instance's stable alias). */
  networkAliases?: string[];
  /** Container port the app listens on. */
  port: number;
  /** Publish `port` on this host address with an engine-chosen host port (upstream mode `host`). */
  publishOn?: string;
  restartPolicy: "no" | "always" | "unless-stopped" | "on-failure";
  /** Named volumes (created beforehand with ensureVolume) and bind mounts. */
  mounts?: ContainerMount[];
  /** Hard memory limit; swap is capped at the same value (no swap beyond it). */
  memoryBytes?: number | null;
  /** Soft memory limit (Docker's MemoryReservation): what the kernel reclaims the container towards under memory pressure. */
  memoryReservationBytes?: number | null;
  /** CPU quota in units of 1e-9 CPUs (Docker's NanoCpus). */
  nanoCpus?: number | null;
  pidsLimit?: number | null;
  /** Override the image's CMD / ENTRYPOINT (exec form; no shell is involved). */
  cmd?: string[] | null;
  entrypoint?: string[] | null;
  /** Fixed host ports (the managed proxy's 80/443/admin), besides `publishOn`'s engine-chosen one. */
  ports?: Array<{ containerPort: number; hostPort: number; hostIp: string }>;
  /** Run as this user (`uid:gid`) instead of the image's. */
  user?: string;
  /**
   * Files (and directories) copied into the container after it is created and
   * before it starts (`name` relative to `/`), with their owner. A directory
   * entry over a volume's mount point sets the owner and mode of the volume's root.
   */
  files?: TarEntry[];
  /** Namespaced kernel settings of the container's own network namespace (Docker's HostConfig.Sysctls). */
  sysctls?: Record<string, string>;
}

export type ContainerMount = { type: "volume"; name: string; target: string } | { type: "bind"; source: string; target: string; readOnly: boolean };

export interface VolumeInfo {
  name: string;
  labels: Record<string, string>;
  createdAt: string | null;
  /** Bytes on disk when the engine reports it (system df), else null. */
  sizeBytes: number | null;
  /** Containers using it, when reported. */
  refCount: number | null;
}

/** One `stream: false` stats read, reduced to the counters Wharf keeps. */
export interface ContainerStats {
  at: Date;
  /** Cumulative CPU time of the container and of the host (ns), for a delta between two reads. */
  cpuTotalNs: number;
  systemCpuNs: number | null;
  onlineCpus: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
}

export type ContainerState = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
  /** Docker HEALTHCHECK status, null when the image has none. */
  health: "starting" | "healthy" | "unhealthy" | null;
  exitCode: number | null;
  labels: Record<string, string>;
  /** Host port that `port` is published on, when published. */
  publishedPort: number | null;
  startedAt: string | null;
  /** Error text from the engine (e.g. OOM, exec failure), when any. */
  error: string | null;
  /** Docker's State.OOMKilled: the kernel's OOM killer ended the last run. */
  oomKilled?: boolean;
}

export interface PullProgress {
  status: string;
  id?: string;
  current?: number;
  total?: number;
}

/** Registry credentials for one pull, passed to the engine as `authconfig` (never in a URL or a log line). */
export interface PullAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** The container engine behind one interface (STYLE habit 5); dockerode is the implementation. */
export interface ContainerRuntime {
  ping(): Promise<{ ok: boolean; version?: string; message?: string }>;
  /**
   * The engine's container count and name (`docker info`), for the Servers page, and the Swarm node it is:
   * `Swarm.NodeID`, `Swarm.Cluster.ID` (only a manager reports it: null on a worker) and the node ids of
   * `Swarm.RemoteManagers` (what a worker knows of its swarm). Optional: doubles may omit it.
   */
  engineInfo?(): Promise<{ containers: number; name: string; kernelVersion: string; swarm: string; swarmNodeId: string | null; swarmClusterId: string | null; swarmManagerIds: string[] }>;
  imageExists(ref: string): Promise<boolean>;
  /** Pull `ref`; progress events are passed to `onProgress`. Rejects with the registry's error. */
  pullImage(ref: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal, auth?: PullAuth): Promise<void>;
  /** The local image's id and repo digests ("name@sha256:…"); null when it is not present. */
  imageInfo(ref: string): Promise<{ id: string; repoDigests: string[] } | null>;
  /** Whether the image declares a HEALTHCHECK. */
  imageHasHealthcheck(ref: string): Promise<boolean>;
  /** Create the network if missing (idempotent). */
  ensureNetwork(name: string): Promise<void>;
  /** Create (not start) a container; if one with `spec.name` and the same wharf labels exists, returns it. */
  createContainer(spec: ContainerSpec): Promise<ContainerInfo>;
  /** Start; an instance's bind sources are resolved again first (resolveBindSources) and a changed one refuses the start. */
  startContainer(id: string): Promise<void>;
  /** Bind sources' real paths on this engine's host, or throws naming the refused field. Optional: doubles use the local check (WHARF_BIND_ROOT). */
  resolveBindSources?(binds: BindRequest[]): Promise<string[]>;
  /** Stop; stopping a stopped container succeeds. */
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  /** Remove (force); removing a missing container succeeds. */
  removeContainer(id: string): Promise<void>;
  /** Null when no such container. */
  inspectContainer(idOrName: string): Promise<ContainerInfo | null>;
  /** Containers carrying `wharf.managed=true` (optionally for one instance), running or not. */
  listManagedContainers(filter?: { instanceId?: string }): Promise<ContainerInfo[]>;
  /** Names of the containers publishing `hostPort` (tcp), to say who holds a port a start could not bind. */
  containersPublishing?(hostPort: number): Promise<string[]>;
  /** Log lines (stdout and stderr demultiplexed); `follow` streams until the signal aborts or the container stops. */
  /** Create the named volume with `labels` if it does not exist; an existing one is used as it is. */
  ensureVolume(name: string, labels: Record<string, string>): Promise<VolumeInfo>;
  /** Null when no such volume. */
  inspectVolume(name: string): Promise<VolumeInfo | null>;
  /** Named volumes mounted into Wharf's own container (its data): never mounted into an instance. Empty when Wharf runs outside a container. */
  selfVolumeNames?(): Promise<string[]>;
  /** Volumes carrying `wharf.managed=true`; `withSize` asks the engine for disk usage (slower). */
  listManagedVolumes(opts?: { withSize?: boolean }): Promise<VolumeInfo[]>;
  /** Remove; a missing volume succeeds, one in use is refused (CONFLICT). */
  removeVolume(name: string): Promise<void>;
  /** One-shot stats read (never a stream); null when the container is gone or not running. */
  containerStats(id: string): Promise<ContainerStats | null>;
  containerLogs(id: string, opts: { tail?: number; follow?: boolean; since?: number; signal?: AbortSignal }): AsyncIterable<{ stream: "stdout" | "stderr"; line: string }>;
  /** The engine's events for Wharf's containers (die, oom, health_status) until the signal aborts or the stream ends. Optional: doubles may omit it. */
  containerEvents?(signal: AbortSignal): AsyncIterable<ContainerEvent>;
}

export interface ContainerEvent {
  action: string;
  containerId: string;
  labels: Record<string, string>;
  exitCode: number | null;
  time: number;
}
