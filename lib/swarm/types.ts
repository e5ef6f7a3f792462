import type { PullAuth } from "../docker/types";

// Docker Swarm behind one interface (issue 28, SPEC §16): a cluster is a
// server whose engine is a Swarm manager; an instance on it is a service.
// The implementation drives the Engine API (dockerode) on the manager.

/** What Wharf asks Swarm to run for one instance. */
export interface ServiceSpec {
  /** Stable per instance (`wharf-<instance name>`). */
  name: string;
  /** Pinned by digest (`repo@sha256:…`) so every node runs the same bytes. */
  image: string;
  /** Plain environment values. */
  env: Record<string, string>;
  /**
   * Values marked secret: delivered as Docker secrets, never in the service
   * spec. Each is mounted at /run/secrets/<KEY> and the service gets
   * `<KEY>_FILE=/run/secrets/<KEY>` (the convention official images follow).
   * Secret names are derived from the service name, the key and a hash of the
   * value (Docker secrets are immutable): a new value is a new secret.
   */
  secrets: Record<string, string>;
  /** On the service and on its containers (wharf.managed, wharf.instance, wharf.installation...). */
  labels: Record<string, string>;
  /** The container port, published in host mode on an engine-chosen port of the node running each task. */
  port: number;
  replicas: number;
  /** Placement constraints, e.g. `node.labels.zone==a`. */
  constraints: string[];
  limits: { memoryBytes: number | null; nanoCpus: number | null };
  reservations: { memoryBytes: number | null; nanoCpus: number | null };
  /** null: the image's own HEALTHCHECK (if any). */
  healthcheck: { test: string[]; intervalMs: number; timeoutMs: number; retries: number; startPeriodMs: number } | null;
  /** Named volumes (local driver: per node: see `constraints`, which carries `node.id==…` when the instance's volumes are pinned). */
  mounts: Array<{ name: string; target: string }>;
  /** Rolling updates: start-first by default, rolled back by Swarm when a task fails within `monitorMs`. */
  update: { parallelism: number; monitorMs: number; order: "start-first" | "stop-first" };
  /** Overlay networks to attach (created beforehand). */
  networks: string[];
  /** Credentials every node uses to pull (X-Registry-Auth), never stored in the spec. */
  registryAuth?: PullAuth;
  command?: string[] | null;
  entrypoint?: string[] | null;
}

export interface ServiceInfo {
  id: string;
  name: string;
  /** The version index an update must name (inspect-then-update). */
  version: number;
  labels: Record<string, string>;
  image: string;
  replicas: number;
  /** Swarm's UpdateStatus.State, or null when there was no update yet. */
  updateState: "updating" | "paused" | "completed" | "rollback_started" | "rollback_paused" | "rollback_completed" | null;
  updateMessage: string | null;
  /** The image of PreviousSpec (what a rollback returns to), when any. */
  previousImage: string | null;
}

export interface TaskInfo {
  id: string;
  nodeId: string;
  /** The node's hostname. */
  node: string;
  /** The node's address (Status.Addr): where the task's published port is reached. */
  nodeAddress: string;
  state: string;
  desiredState: string;
  /** The host port published for `port` on that node, once the task runs. */
  publishedPort: number | null;
  containerId: string | null;
  /** The image (with digest) the task runs. */
  image: string;
  error: string | null;
  updatedAt: string;
}

export interface NodeInfo {
  id: string;
  hostname: string;
  role: "manager" | "worker";
  availability: "active" | "pause" | "drain";
  /** Status.State: ready | down | disconnected | unknown. */
  state: string;
  address: string;
  labels: Record<string, string>;
  /** The engine's own labels (daemon.json), matched by `engine.labels.<k>` constraints. */
  engineLabels: Record<string, string>;
  platform: { os: string; arch: string };
  engineVersion: string | null;
}

/** One event of the manager's stream that can move tasks (a service changed, a node's state or availability changed). */
export interface SwarmEvent {
  type: "service" | "node";
  /** create | update | remove */
  action: string;
  /** The service's or node's id. */
  id: string;
  /** The service's or node's name; for a node update, `state.new`/`availability.new` when they changed. */
  attributes: Record<string, string>;
}

export type UpdateOutcome = { outcome: "completed" } | { outcome: "rolled_back"; message: string } | { outcome: "paused"; message: string };

export interface SwarmRuntime {
  /** The digest `image` (a tag) has now, asked of its registry by the manager (with `auth`), as every node will pull it. */
  resolveDigest(image: string, auth?: PullAuth): Promise<string>;
  /** Whether the engine is a Swarm manager (a worker or a plain engine is refused as a cluster). */
  swarmInfo(): Promise<{ state: string; manager: boolean; nodeId: string | null; nodes: number }>;
  listNodes(): Promise<NodeInfo[]>;
  /** How many tasks meant to run each node holds now (node id → count), for spreading a choice of node. */
  taskCountsByNode(): Promise<Record<string, number>>;
  /** Availability and/or labels (labels replace the node's labels whole); inspect-then-update on the version, retried on "update out of sequence". */
  updateNode(id: string, change: { availability?: NodeInfo["availability"]; labels?: Record<string, string> }): Promise<NodeInfo>;
  /** Creates the secret if missing (names are content-addressed), returns its id. */
  ensureSecret(name: string, value: string, labels: Record<string, string>): Promise<string>;
  /** Secrets labelled for `serviceName` that the current spec no longer uses. A secret in use is kept. */
  removeUnusedSecrets(serviceName: string, keep: string[]): Promise<string[]>;
  /** Creates the service; an existing one with the same name and Wharf's labels is returned as it is. */
  createService(spec: ServiceSpec): Promise<ServiceInfo>;
  /** Inspect-then-update on the service's version, retried on "update out of sequence". Never creates. */
  updateService(spec: ServiceSpec): Promise<ServiceInfo>;
  /** Swarm's own rollback to PreviousSpec. */
  rollbackService(name: string): Promise<ServiceInfo>;
  /** Sets the replica count only (inspect-then-update). */
  scaleService(name: string, replicas: number): Promise<ServiceInfo>;
  inspectService(name: string): Promise<ServiceInfo | null>;
  /** Services labelled wharf.managed=true. */
  listManagedServices(): Promise<ServiceInfo[]>;
  /** Removing a missing service succeeds. */
  removeService(name: string): Promise<void>;
  /** The service's tasks with their node and published port (desired state running first). */
  listTasks(name: string): Promise<TaskInfo[]>;
  /**
   * The tasks meant to run (desired state running) of every Wharf-managed
   * service, keyed by service name: three calls (services, tasks, nodes)
   * whatever the number of services, each under `timeoutMs` when given.
   */
  listManagedTasks(opts?: { timeoutMs?: number }): Promise<Map<string, TaskInfo[]>>;
  /**
   * The manager's service and node events until `untilMs` (epoch ms) passes,
   * the signal aborts or the stream breaks (the caller reconnects). Task
   * state changes are not events: callers poll the tasks as well.
   */
  events(opts: { signal: AbortSignal; untilMs: number }): AsyncIterable<SwarmEvent>;
  /**
   * Follows a rolling update (or a create) until it completed, Swarm rolled it
   * back, or it paused; `onProgress` gets the tasks at each poll. Rejects on `signal`,
   * on `timeoutMs`, and (UNAVAILABLE, with the scheduler's reason) when a task
   * stays pending unplaceable for `pendingMs` (default `timeoutMs`).
   */
  waitForRollout(name: string, opts: { signal?: AbortSignal; timeoutMs: number; pendingMs?: number; onProgress?: (tasks: TaskInfo[], service: ServiceInfo) => void }): Promise<UpdateOutcome>;
  /** Log lines of every task on every node (the manager gathers them). */
  serviceLogs(name: string, opts: { tail?: number; follow?: boolean; signal?: AbortSignal }): AsyncIterable<{ stream: "stdout" | "stderr"; line: string }>;
}
