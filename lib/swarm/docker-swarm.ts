// SwarmRuntime over the Engine API of a Swarm manager (dockerode), over any
// transport a server can use (socket, TCP/TLS, SSH). Every call is bounded by
// a deadline, as in lib/docker/dockerode.ts: an engine that does not answer
// never hangs a caller.
import Docker from "dockerode";
import { boundedCall, type CallOpts } from "../docker/bounded-call";
import { AppError } from "../errors";
import { describeConnection, dockerodeOptions, type DockerConnection } from "../docker/connection";
import { LogLineSplitter, splitLogBuffer } from "../docker/log-lines";
import { engineError, engineStatus, labelsMatch } from "../docker/map";
import type { PullAuth } from "../docker/types";
import { LABEL_MANAGED } from "../naming";
import {
  isManaged,
  LABEL_SERVICE,
  nodeInfo,
  outOfSequence,
  secretName,
  serviceBody,
  serviceInfo,
  sortTasks,
  taskInfo,
  taskRunsCurrentSpec,
  validateServiceSpec,
  type RawNode,
  type RawService,
  type RawTask,
} from "./map";
import type { NodeInfo, ServiceInfo, ServiceSpec, SwarmEvent, SwarmRuntime, TaskInfo, UpdateOutcome } from "./types";

export interface DockerSwarmOptions {
  connection: DockerConnection;
  /** Per API call, until the engine's answer (or a stream's headers) arrives. */
  timeoutMs?: number;
  /** How often waitForRollout polls. */
  pollMs?: number;
  /** Attempts of an inspect-then-update that meets "update out of sequence". */
  updateAttempts?: number;
}

type Modem = { dial: (o: object, cb: (err: unknown, data: unknown) => void) => void };

function unless<T>(statuses: number[], value: T) {
  return (err: unknown): T => {
    const s = engineStatus(err);
    if (s !== undefined && statuses.includes(s)) return value;
    throw err;
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The scheduler's reason for a task it has kept pending for `ms` (tracked in
 * `since`, task id → first seen pending with a reason), or null.
 */
function unschedulable(tasks: RawTask[], since: Map<string, number>, now: number, ms: number): string | null {
  const pending = new Set<string>();
  for (const t of tasks) {
    if (t.Status?.State !== "pending" || !t.Status.Err) continue;
    pending.add(t.ID);
    const first = since.get(t.ID) ?? now;
    since.set(t.ID, first);
    if (now - first >= ms) return t.Status.Err;
  }
  for (const id of since.keys()) if (!pending.has(id)) since.delete(id);
  return null;
}

export class DockerSwarm implements SwarmRuntime {
  readonly endpoint: string;
  private readonly docker: Docker | null = null;
  private readonly setupError: AppError | null = null;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly updateAttempts: number;

  constructor(opts: DockerSwarmOptions) {
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.pollMs = opts.pollMs ?? 500;
    this.updateAttempts = opts.updateAttempts ?? 5;
    let endpoint = "(unknown)";
    try {
      endpoint = describeConnection(opts.connection);
      this.docker = new Docker(dockerodeOptions(opts.connection));
    } catch (err) {
      // Bad connection material fails each call instead of the constructor (as DockerodeRuntime does).
      this.setupError = engineError("setup", err, endpoint);
    }
    this.endpoint = endpoint;
  }

  /** Runs one engine call under a deadline (bounded-call.ts); the deadline ends once `fn` resolves, so streams live on. */
  private async call<T>(op: string, fn: (d: Docker, signal: AbortSignal) => Promise<T>, o: CallOpts = {}): Promise<T> {
    const docker = this.docker;
    if (!docker) throw this.setupError ?? new AppError("INTERNAL", "Docker client not initialised");
    return boundedCall({ ...o, op, endpoint: this.endpoint, defaultTimeoutMs: this.timeoutMs }, (signal) => fn(docker, signal));
  }

  /** A raw Engine API request (for the calls dockerode does not take an abort signal or a body for). */
  private dial<T>(d: Docker, o: { path: string; method: string; signal: AbortSignal; query?: Record<string, unknown>; body?: unknown; auth?: PullAuth; statusCodes?: Record<number, unknown> }): Promise<T> {
    const options: Record<string, unknown> | undefined = o.body === undefined && !o.query ? undefined : { _query: o.query ?? {}, _body: o.body ?? {} };
    return new Promise((resolve, reject) => {
      (d.modem as unknown as Modem).dial(
        {
          path: o.query ? `${o.path}?` : o.path,
          method: o.method,
          options,
          // Sent base64url-encoded in X-Registry-Auth (docker-modem), never in the URL or the spec.
          authconfig: o.auth,
          abortSignal: o.signal,
          statusCodes: { 200: true, 201: true, 204: true, 304: true, 400: "bad parameter", 404: "not found", 409: "conflict", 500: "server error", 503: "node is not part of a swarm", ...o.statusCodes },
        },
        (err, data) => (err ? reject(err) : resolve(data as T)),
      );
    });
  }

  async resolveDigest(image: string, auth?: PullAuth): Promise<string> {
    // The manager asks the registry as its nodes will (its insecure-registries, mirrors and CA), as `docker service create` does.
    const res = await this.call(`resolve ${image}`, (d, s) => this.dial<{ Descriptor?: { digest?: string } }>(d, { path: `/distribution/${image}/json`, method: "GET", signal: s, auth, statusCodes: { 401: "unauthorized", 403: "forbidden" } }));
    const digest = res.Descriptor?.digest;
    if (!digest) throw new AppError("PROVIDER_ERROR", `the registry gave no digest for ${image}`);
    return digest;
  }

  async swarmInfo(): Promise<{ state: string; manager: boolean; nodeId: string | null; nodes: number }> {
    type Info = { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string; Nodes?: number } };
    const info = await this.call("info", (d, s) => this.dial<Info>(d, { path: "/info", method: "GET", signal: s }));
    const sw = info.Swarm ?? {};
    return { state: sw.LocalNodeState || "inactive", manager: sw.ControlAvailable === true, nodeId: sw.NodeID || null, nodes: sw.Nodes ?? 0 };
  }

  private async rawNodes(): Promise<RawNode[]> {
    return this.call("list nodes", (d, s) => this.dial<RawNode[]>(d, { path: "/nodes", method: "GET", signal: s }));
  }

  async listNodes(): Promise<NodeInfo[]> {
    return (await this.rawNodes()).map(nodeInfo).sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  async taskCountsByNode(): Promise<Record<string, number>> {
    const tasks = await this.call("list tasks", (d, s) => this.dial<RawTask[]>(d, { path: "/tasks", method: "GET", signal: s, query: { filters: JSON.stringify({ "desired-state": ["running"] }) } }));
    const counts: Record<string, number> = {};
    for (const t of tasks) if (t.NodeID) counts[t.NodeID] = (counts[t.NodeID] ?? 0) + 1;
    return counts;
  }

  async updateNode(id: string, change: { availability?: NodeInfo["availability"]; labels?: Record<string, string> }): Promise<NodeInfo> {
    if (change.availability !== undefined && !["active", "pause", "drain"].includes(change.availability)) {
      throw new AppError("VALIDATION", `Node availability must be active, pause or drain (got "${change.availability}")`, { field: "availability" });
    }
    const inspect = () => this.call(`inspect node ${id}`, (d, s) => this.dial<RawNode>(d, { path: `/nodes/${encodeURIComponent(id)}`, method: "GET", signal: s }));
    await this.retryOutOfSequence(`update node ${id}`, async () => {
      const node = await inspect();
      const spec = { ...node.Spec };
      if (change.availability !== undefined) spec.Availability = change.availability;
      if (change.labels !== undefined) spec.Labels = change.labels;
      await this.call(`update node ${id}`, (d, s) =>
        this.dial(d, { path: `/nodes/${encodeURIComponent(id)}/update`, method: "POST", signal: s, query: { version: node.Version?.Index ?? 0 }, body: spec }),
      );
    });
    return nodeInfo(await inspect());
  }

  /** Runs an inspect-then-update until it does not meet "update out of sequence" (a concurrent writer), a few times. */
  private async retryOutOfSequence(op: string, attempt: () => Promise<void>): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (!outOfSequence(err) || i >= this.updateAttempts) {
          if (outOfSequence(err)) throw new AppError("CONFLICT", `Docker ${op}: still out of sequence after ${i} attempts (concurrent updates)`, { cause: err });
          throw err;
        }
        await sleep(50 * i + Math.floor(Math.random() * 50));
      }
    }
  }

  async ensureSecret(name: string, value: string, labels: Record<string, string>): Promise<string> {
    type RawSecret = { ID: string; Spec?: { Name?: string } };
    const find = () =>
      this.call(`list secrets ${name}`, (d, s) => this.dial<RawSecret[]>(d, { path: "/secrets", method: "GET", signal: s, query: { filters: JSON.stringify({ name: [name] }) } })).then(
        // The name filter matches prefixes, hence the exact comparison.
        (list) => list.find((x) => x.Spec?.Name === name)?.ID ?? null,
      );
    const existing = await find();
    if (existing) return existing;
    try {
      // The value goes base64-encoded in the body (dial keeps the body out of the query string).
      const created = await this.call(`create secret ${name}`, (d, s) =>
        this.dial<{ ID: string }>(d, { path: "/secrets/create", method: "POST", signal: s, query: {}, body: { Name: name, Labels: labels, Data: Buffer.from(value, "utf8").toString("base64") } }),
      );
      return created.ID;
    } catch (err) {
      // Made concurrently by another caller: same name, same content (the name holds its hash).
      if (!(err instanceof AppError && err.code === "CONFLICT")) throw err;
      const raced = await find();
      if (!raced) throw err;
      return raced;
    }
  }

  async removeUnusedSecrets(serviceName: string, keep: string[]): Promise<string[]> {
    type RawSecret = { ID: string; Spec?: { Name?: string; Labels?: Record<string, string> } };
    const list = await this.call("list secrets", (d, s) =>
      this.dial<RawSecret[]>(d, { path: "/secrets", method: "GET", signal: s, query: { filters: JSON.stringify({ label: [`${LABEL_SERVICE}=${serviceName}`] }) } }),
    );
    const removed: string[] = [];
    for (const sec of list) {
      const name = sec.Spec?.Name ?? "";
      if (sec.Spec?.Labels?.[LABEL_SERVICE] !== serviceName || keep.includes(name) || keep.includes(sec.ID)) continue;
      try {
        await this.call(`remove secret ${name}`, (d, s) => this.dial(d, { path: `/secrets/${sec.ID}`, method: "DELETE", signal: s }).catch(unless([404], undefined)));
        removed.push(name);
      } catch (err) {
        // "secret is in use by the following service": a task still refers to it (e.g. the previous spec during a rollback window).
        if (err instanceof AppError && /in use/i.test(err.message)) continue;
        throw err;
      }
    }
    return removed;
  }

  /** Each secret value as a content-addressed Docker secret labelled for the service. */
  private async secretsFor(spec: ServiceSpec): Promise<Record<string, { id: string; name: string }>> {
    const out: Record<string, { id: string; name: string }> = {};
    for (const [key, value] of Object.entries(spec.secrets)) {
      const name = secretName(spec.name, key, value);
      out[key] = { id: await this.ensureSecret(name, value, { [LABEL_MANAGED]: "true", [LABEL_SERVICE]: spec.name }), name };
    }
    return out;
  }

  private async rawService(name: string): Promise<RawService | null> {
    return this.call(`inspect service ${name}`, (d, s) => this.dial<RawService>(d, { path: `/services/${encodeURIComponent(name)}`, method: "GET", signal: s }).catch(unless([404], null)));
  }

  async inspectService(name: string): Promise<ServiceInfo | null> {
    const s = await this.rawService(name);
    return s ? serviceInfo(s) : null;
  }

  async listManagedServices(): Promise<ServiceInfo[]> {
    const list = await this.call("list services", (d, s) =>
      this.dial<RawService[]>(d, { path: "/services", method: "GET", signal: s, query: { filters: JSON.stringify({ label: [`${LABEL_MANAGED}=true`] }) } }),
    );
    return list.filter((x) => isManaged(x.Spec.Labels)).map(serviceInfo);
  }

  async createService(spec: ServiceSpec): Promise<ServiceInfo> {
    validateServiceSpec(spec);
    const adopt = async (): Promise<ServiceInfo | null> => {
      const existing = await this.rawService(spec.name);
      if (!existing) return null;
      if (labelsMatch(existing.Spec.Labels ?? {}, spec.labels)) return serviceInfo(existing);
      throw new AppError("CONFLICT", `A service named ${spec.name} already exists and does not carry this instance's labels`, { details: { name: spec.name } });
    };
    const found = await adopt();
    if (found) return found;
    const body = serviceBody(spec, await this.secretsFor(spec));
    try {
      await this.call(`create service ${spec.name}`, (d, s) => this.dial(d, { path: "/services/create", method: "POST", signal: s, query: {}, body, auth: spec.registryAuth }));
    } catch (err) {
      // Created concurrently by another caller: the same rules as above.
      if (!(err instanceof AppError && err.code === "CONFLICT")) throw err;
      const raced = await adopt();
      if (raced) return raced;
      throw err;
    }
    const created = await this.rawService(spec.name);
    if (!created) throw new AppError("PROVIDER_ERROR", `Service ${spec.name} was created but cannot be inspected`);
    return serviceInfo(created);
  }

  /** One inspect-then-update of a service, retried on "update out of sequence"; a missing service is NOT_FOUND, never created. */
  private async updateRaw(name: string, op: string, change: (current: RawService) => { body: unknown; query?: Record<string, unknown>; auth?: PullAuth }): Promise<ServiceInfo> {
    await this.retryOutOfSequence(`${op} of service ${name}`, async () => {
      const current = await this.rawService(name);
      if (!current) throw new AppError("NOT_FOUND", `Service ${name} does not exist`, { details: { name } });
      const { body, query, auth } = change(current);
      await this.call(`${op} of service ${name}`, (d, s) =>
        this.dial(d, { path: `/services/${current.ID}/update`, method: "POST", signal: s, query: { ...query, version: current.Version?.Index ?? 0 }, body, auth }),
      );
    });
    const after = await this.rawService(name);
    if (!after) throw new AppError("NOT_FOUND", `Service ${name} disappeared during its ${op}`);
    return serviceInfo(after);
  }

  async updateService(spec: ServiceSpec): Promise<ServiceInfo> {
    validateServiceSpec(spec);
    const current = await this.rawService(spec.name);
    if (!current) throw new AppError("NOT_FOUND", `Service ${spec.name} does not exist`, { details: { name: spec.name } });
    if (!isManaged(current.Spec.Labels)) throw new AppError("FOREIGN_RESOURCE", `Service ${spec.name} is not managed by Wharf (no ${LABEL_MANAGED}=true label); not updated`);
    const secrets = await this.secretsFor(spec);
    // ForceUpdate is carried over: bumping it would restart every task for no change.
    return this.updateRaw(spec.name, "update", (cur) => ({ body: serviceBody(spec, secrets, cur.Spec.TaskTemplate?.ForceUpdate ?? 0), auth: spec.registryAuth }));
  }

  async rollbackService(name: string): Promise<ServiceInfo> {
    // rollback=previous: the manager swaps in PreviousSpec; the body is the current spec, as the API requires one.
    // registryAuthFrom=previous-spec: the nodes pull the previous image with the credentials it was deployed with.
    return this.updateRaw(name, "rollback", (cur) => ({ body: cur.Spec, query: { rollback: "previous", registryAuthFrom: "previous-spec" } }));
  }

  async scaleService(name: string, replicas: number): Promise<ServiceInfo> {
    if (!Number.isInteger(replicas) || replicas < 0) throw new AppError("VALIDATION", `Replicas must be a whole number ≥ 0 (got ${replicas})`, { field: "replicas" });
    return this.updateRaw(name, "scale", (cur) => {
      if (!cur.Spec.Mode?.Replicated) throw new AppError("VALIDATION", `Service ${name} is not replicated; it cannot be scaled`, { field: "replicas" });
      return { body: { ...cur.Spec, Mode: { Replicated: { Replicas: replicas } } } };
    });
  }

  async removeService(name: string): Promise<void> {
    await this.call(`remove service ${name}`, (d, s) => this.dial(d, { path: `/services/${encodeURIComponent(name)}`, method: "DELETE", signal: s }).then(() => undefined, unless([404], undefined)));
  }

  private async rawTasks(serviceId: string, signal?: AbortSignal): Promise<RawTask[]> {
    return this.call(`list tasks of ${serviceId}`, (d, s) => this.dial<RawTask[]>(d, { path: "/tasks", method: "GET", signal: s, query: { filters: JSON.stringify({ service: [serviceId] }) } }), { signal });
  }

  private async nodeMap(): Promise<Map<string, { hostname: string; address: string }>> {
    return new Map((await this.listNodes()).map((n) => [n.id, { hostname: n.hostname, address: n.address }]));
  }

  private targetPort(s: RawService): number | null {
    const ports = (s.Spec.EndpointSpec as { Ports?: Array<{ TargetPort?: number }> } | undefined)?.Ports;
    return ports?.[0]?.TargetPort ?? null;
  }

  async listTasks(name: string): Promise<TaskInfo[]> {
    const svc = await this.rawService(name);
    if (!svc) return [];
    const [tasks, nodes] = await Promise.all([this.rawTasks(svc.ID), this.nodeMap()]);
    return sortTasks(tasks.map((t) => taskInfo(t, this.targetPort(svc), nodes)));
  }

  async listManagedTasks(opts: { timeoutMs?: number } = {}): Promise<Map<string, TaskInfo[]>> {
    const o = { timeoutMs: opts.timeoutMs };
    const [services, tasks, nodes] = await Promise.all([
      this.call("list services", (d, s) => this.dial<RawService[]>(d, { path: "/services", method: "GET", signal: s, query: { filters: JSON.stringify({ label: [`${LABEL_MANAGED}=true`] }) } }), o),
      this.call("list tasks", (d, s) => this.dial<RawTask[]>(d, { path: "/tasks", method: "GET", signal: s, query: { filters: JSON.stringify({ "desired-state": ["running"] }) } }), o),
      this.call("list nodes", (d, s) => this.dial<RawNode[]>(d, { path: "/nodes", method: "GET", signal: s }), o),
    ]);
    const nodeMap = new Map(nodes.map(nodeInfo).map((n) => [n.id, { hostname: n.hostname, address: n.address }]));
    const out = new Map<string, TaskInfo[]>();
    for (const svc of services.filter((x) => isManaged(x.Spec.Labels))) {
      const mine = tasks.filter((t) => t.ServiceID === svc.ID);
      out.set(svc.Spec.Name, sortTasks(mine.map((t) => taskInfo(t, this.targetPort(svc), nodeMap))));
    }
    return out;
  }

  async *events(opts: { signal: AbortSignal; untilMs: number }): AsyncGenerator<SwarmEvent> {
    // `until` in the future: the engine streams until then and closes, so a connection that died silently is replaced at the latest then.
    const query = { filters: { type: ["service", "node"] }, since: String(Math.floor(Date.now() / 1000)), until: String(Math.ceil(opts.untilMs / 1000)) };
    const stream = await this.call("events", (d, s) => d.getEvents({ ...query, abortSignal: s } as object), { signal: opts.signal });
    let rest = "";
    try {
      // One JSON object per line; a chunk may end mid-line.
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const lines = (rest + chunk.toString("utf8")).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) {
          if (!line.trim()) continue;
          const e = JSON.parse(line) as { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
          if (e.Type !== "service" && e.Type !== "node") continue;
          yield { type: e.Type, action: e.Action ?? "", id: e.Actor?.ID ?? "", attributes: e.Actor?.Attributes ?? {} };
        }
      }
    } catch (err) {
      if (opts.signal.aborted) return;
      throw engineError("events", err, this.endpoint);
    } finally {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
  }

  /**
   * Done ("completed") when Swarm is not updating (UpdateStatus completed, or
   * none: a create, a scale, or an update the updater has not picked up yet)
   * AND exactly `replicas` tasks are meant to run, all of them running the
   * current task template. A task with a health check reaches `running` only
   * once healthy (the engine holds it in `starting`), so these tasks serve.
   * rollback_completed → rolled_back; paused/rollback_paused → paused.
   * A task the scheduler has kept pending with a reason (no node with the
   * resources, none that satisfies the constraints) for `pendingMs` ends the
   * wait with that reason: Swarm retries it forever and never fails it.
   */
  async waitForRollout(name: string, opts: { signal?: AbortSignal; timeoutMs: number; pendingMs?: number; onProgress?: (tasks: TaskInfo[], service: ServiceInfo) => void }): Promise<UpdateOutcome> {
    const until = Date.now() + opts.timeoutMs;
    const pendingSince = new Map<string, number>();
    let last = "";
    for (;;) {
      opts.signal?.throwIfAborted();
      const svc = await this.rawService(name);
      if (!svc) throw new AppError("NOT_FOUND", `Service ${name} disappeared during its rollout`, { details: { name } });
      const [raw, nodes] = await Promise.all([this.rawTasks(svc.ID, opts.signal), this.nodeMap()]);
      const info = serviceInfo(svc);
      opts.onProgress?.(sortTasks(raw.map((t) => taskInfo(t, this.targetPort(svc), nodes))), info);
      const state = info.updateState;
      if (state === "rollback_completed") return { outcome: "rolled_back", message: info.updateMessage ?? "rolled back" };
      if (state === "paused" || state === "rollback_paused") return { outcome: "paused", message: info.updateMessage ?? state };
      const meant = raw.filter((t) => t.DesiredState === "running");
      const stuck = unschedulable(meant, pendingSince, Date.now(), opts.pendingMs ?? opts.timeoutMs);
      if (stuck) throw new AppError("UNAVAILABLE", `Swarm cannot place a task of ${name}: ${stuck}`, { details: { name, unschedulable: true } });
      const ready = meant.filter((t) => t.Status?.State === "running" && taskRunsCurrentSpec(t, svc));
      if ((state === "completed" || state === null) && meant.length === info.replicas && ready.length === info.replicas) return { outcome: "completed" };
      last = `${state ?? "no update status"}; ${ready.length}/${info.replicas} tasks running the current spec${info.updateMessage ? ` (${info.updateMessage})` : ""}`;
      if (Date.now() + this.pollMs > until) {
        throw new AppError("TIMEOUT", `Service ${name} did not finish its rollout within ${Math.round(opts.timeoutMs / 1000)}s: ${last}`, { details: { name } });
      }
      await sleep(this.pollMs, opts.signal);
    }
  }

  async *serviceLogs(name: string, opts: { tail?: number; follow?: boolean; signal?: AbortSignal }): AsyncGenerator<{ stream: "stdout" | "stderr"; line: string }> {
    const query: Record<string, unknown> = { stdout: true, stderr: true, follow: opts.follow === true };
    if (opts.tail !== undefined) query.tail = opts.tail;
    const logs = (d: Docker, s: AbortSignal) =>
      new Promise<unknown>((resolve, reject) => {
        (d.modem as unknown as Modem).dial(
          {
            path: `/services/${encodeURIComponent(name)}/logs?`,
            method: "GET",
            options: { _query: query },
            isStream: opts.follow === true,
            abortSignal: s,
            statusCodes: { 200: true, 404: "no such service", 500: "server error", 503: "node is not part of a swarm" },
          },
          (err, data) => (err ? reject(err) : resolve(data)),
        );
      });
    if (!opts.follow) {
      // The manager gathers the lines from every node; a slow node makes the answer slow.
      const buf = await this.call(`logs of service ${name}`, logs, { signal: opts.signal, timeoutMs: Math.max(this.timeoutMs, 30_000) });
      yield* splitLogBuffer(Buffer.isBuffer(buf) ? buf : Buffer.from(typeof buf === "string" ? buf : JSON.stringify(buf)));
      return;
    }
    const stream = (await this.call(`logs of service ${name}`, logs, { signal: opts.signal })) as NodeJS.ReadableStream & { destroy?: () => void };
    const splitter = new LogLineSplitter();
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) yield* splitter.push(chunk);
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw engineError(`logs of service ${name}`, err, this.endpoint);
    } finally {
      stream.destroy?.();
    }
    if (!opts.signal?.aborted) yield* splitter.flush();
  }
}
