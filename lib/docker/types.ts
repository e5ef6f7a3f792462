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
  startContainer(id: string): Promise<void>;
  /** Stop; stopping a stopped container succeeds. */
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  /** Remove (force); removing a missing container succeeds. */
  removeContainer(id: string): Promise<void>;
  /** Null when no such container. */
  inspectContainer(idOrName: string): Promise<ContainerInfo | null>;
  /** Containers carrying `wharf.managed=true` (optionally for one instance), running or not. */
  listManagedContainers(filter?: { instanceId?: string }): Promise<ContainerInfo[]>;
  /** Log lines (stdout and stderr demultiplexed); `follow` streams until the signal aborts or the container stops. */
  containerLogs(id: string, opts: { tail?: number; follow?: boolean; since?: number; signal?: AbortSignal }): AsyncIterable<{ stream: "stdout" | "stderr"; line: string }>;
}
