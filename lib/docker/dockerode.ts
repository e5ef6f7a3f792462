import { hostname } from "node:os";
import { resolveLocalBindSources, type BindRequest, type BindResolver } from "./bind-source";
// ContainerRuntime over the Docker Engine API (dockerode). Never shells out to the CLI.
import Docker from "dockerode";
import { boundedCall, type CallOpts } from "./bounded-call";
import { env } from "../env";
import { AppError, errorMessage } from "../errors";
import { LABEL_INSTANCE, LABEL_MANAGED } from "../naming";
import { describeConnection, dockerodeOptions, parseDockerHost, type DockerConnection, type DockerEnv } from "./connection";
import { followPull } from "./follow-pull";
import { LogLineSplitter, splitLogBuffer, type LogLine } from "./log-lines";
import { containerInfoFromInspect, containerInfoFromSummary, createBody, engineError, engineStatus, labelsMatch, statsFromRaw, volumeInfo } from "./map";
import { pullAuthError } from "./pull-auth-error";
import { tarFiles } from "./tar";
import type { ContainerEvent, ContainerInfo, ContainerRuntime, ContainerSpec, ContainerStats, PullAuth, PullProgress, VolumeInfo } from "./types";

export interface DockerodeRuntimeOptions {
  /** Defaults to DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH from `env`, else the local socket. */
  connection?: DockerConnection;
  env?: DockerEnv;
  /** Per API call, until the engine's answer (or a stream's headers) arrives. */
  timeoutMs?: number;
  /** A pull is aborted when the engine sends no progress for this long. */
  pullIdleTimeoutMs?: number;
  /** How bind sources are resolved on this engine's host; default: WHARF_BIND_ROOT on this machine (a remote server's: lib/servers/remote-bind-sources.ts). */
  bindResolver?: BindResolver;
}


/** Swallows the engine answers that mean "already in the wanted state". */
/** The engine address the process was started with (DOCKER_HOST and its TLS companions). */
function processDockerEnv(): DockerEnv {
  const { DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH } = env();
  return { DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH };
}

function unless<T>(statuses: number[], value: T) {
  return (err: unknown): T => {
    const s = engineStatus(err);
    if (s !== undefined && statuses.includes(s)) return value;
    throw err;
  };
}

export class DockerodeRuntime implements ContainerRuntime {
  readonly endpoint: string;
  private readonly docker: Docker | null = null;
  // A bad DOCKER_HOST must not crash the app (SPEC §2: degraded, not down): it fails each call instead.
  private readonly setupError: AppError | null = null;
  private readonly timeoutMs: number;
  private readonly pullIdleTimeoutMs: number;
  private readonly bindResolver: BindResolver;

  constructor(opts: DockerodeRuntimeOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.bindResolver = opts.bindResolver ?? resolveLocalBindSources;
    this.pullIdleTimeoutMs = opts.pullIdleTimeoutMs ?? 120_000;
    let endpoint = opts.env?.DOCKER_HOST ?? "(unknown)";
    try {
      const conn = opts.connection ?? parseDockerHost(
        opts.env ?? processDockerEnv(),
      );
      endpoint = describeConnection(conn);
      this.docker = new Docker(dockerodeOptions(conn));
    } catch (err) {
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

  /** Image.inspect is the one dockerode call without abortSignal support, so it is dialled directly. */
  private inspectImage(d: Docker, ref: string, signal: AbortSignal): Promise<Docker.ImageInspectInfo> {
    return new Promise((resolve, reject) => {
      d.modem.dial(
        { path: `/images/${ref}/json`, method: "GET", options: {}, abortSignal: signal, statusCodes: { 200: true, 404: "no such image", 500: "server error" } },
        (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as Docker.ImageInspectInfo)),
      );
    });
  }

  async ping(): Promise<{ ok: boolean; version?: string; message?: string }> {
    try {
      // version() proves the API answers, not just the socket; its result is shown on the health page.
      const v = await this.call("version", (d, s) => (d.version as (o: object) => Promise<Docker.DockerVersion>)({ abortSignal: s }), {
        timeoutMs: Math.min(this.timeoutMs, 3_000),
      });
      return { ok: true, version: v.Version };
    } catch (err) {
      return { ok: false, message: errorMessage(err) };
    }
  }

  async engineInfo(): Promise<{ containers: number; name: string; kernelVersion: string; swarm: string; swarmNodeId: string | null; swarmClusterId: string | null; swarmManagerIds: string[] }> {
    type Info = { Containers?: number; Name?: string; KernelVersion?: string; Swarm?: { LocalNodeState?: string; NodeID?: string; Cluster?: { ID?: string }; RemoteManagers?: Array<{ NodeID?: string }> | null } };
    const info = await this.call("info", (d, s) => (d.info as (o: object) => Promise<Info>)({ abortSignal: s }));
    const sw = info.Swarm ?? {};
    return {
      containers: info.Containers ?? 0,
      name: info.Name ?? "",
      kernelVersion: info.KernelVersion ?? "",
      swarm: sw.LocalNodeState ?? "inactive",
      swarmNodeId: sw.NodeID || null,
      swarmClusterId: sw.Cluster?.ID || null,
      swarmManagerIds: (sw.RemoteManagers ?? []).map((m) => m.NodeID ?? "").filter(Boolean),
    };
  }

  async imageExists(ref: string): Promise<boolean> {
    return this.call(`inspect image ${ref}`, (d, s) =>
      this.inspectImage(d, ref, s).then(() => true, unless([404], false)),
    );
  }

  async imageHasHealthcheck(ref: string): Promise<boolean> {
    const info = await this.call(`inspect image ${ref}`, (d, s) => this.inspectImage(d, ref, s));
    const test = info.Config?.Healthcheck?.Test;
    // ["NONE"] is how an image switches off a HEALTHCHECK inherited from its base.
    return Array.isArray(test) && test.length > 0 && test[0] !== "NONE";
  }

  async imageInfo(ref: string): Promise<{ id: string; repoDigests: string[] } | null> {
    const info = await this.call(`inspect image ${ref}`, (d, s) => this.inspectImage(d, ref, s).catch(unless([404], null)));
    return info ? { id: info.Id, repoDigests: info.RepoDigests ?? [] } : null;
  }

  async pullImage(ref: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal, auth?: PullAuth): Promise<void> {
    try {
      await this.pullStream(ref, onProgress, signal, auth);
    } catch (err) {
      throw pullAuthError(ref, err, auth) ?? err;
    }
    // SPEC §4.6: a "success" is confirmed by reading back.
    if (!(await this.imageExists(ref))) throw new AppError("PROVIDER_ERROR", `Docker pull of ${ref} finished but the image is not present`);
  }

  private async pullStream(ref: string, onProgress: ((p: PullProgress) => void) | undefined, signal: AbortSignal | undefined, auth: PullAuth | undefined): Promise<void> {
    const idle = new AbortController();
    const live = signal ? AbortSignal.any([signal, idle.signal]) : idle.signal;
    // The credentials go as pull()'s 4th argument, which dockerode sends base64-encoded in the
    // X-Registry-Auth header. An `authconfig` key in the options object would also end up
    // JSON-encoded in the query string, i.e. the password in a URL.
    const pull = (d: Docker, s: AbortSignal) =>
      (d.pull as (ref: string, o: object, cb: undefined, auth?: PullAuth) => Promise<NodeJS.ReadableStream>)(ref, { abortSignal: s }, undefined, auth);
    const stream = await this.call(`pull of ${ref}`, pull, {
      signal: live,
      timeoutMs: Math.max(this.timeoutMs, 60_000),
    });
    await followPull({
      modem: (this.docker as Docker).modem,
      stream,
      ref,
      idle,
      idleTimeoutMs: this.pullIdleTimeoutMs,
      live,
      onProgress,
      toError: (err) => engineError(`pull of ${ref}`, err, this.endpoint),
    });
  }

  async ensureNetwork(name: string): Promise<void> {
    // The name filter matches substrings, hence the exact comparison.
    const nets = await this.call("list networks", (d, s) => d.listNetworks({ filters: { name: [name] }, abortSignal: s } as object));
    if (nets.some((n) => n.Name === name)) return;
    await this.call(`create network ${name}`, (d, s) =>
      d
        .createNetwork({ Name: name, Driver: "bridge", CheckDuplicate: true, Labels: { [LABEL_MANAGED]: "true" }, abortSignal: s } as Docker.NetworkCreateOptions)
        // 409: created concurrently by another caller, which is the state we want.
        .then(() => undefined, unless([409], undefined)),
    );
  }

  async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    try {
      // _query/_body keep the spec (env may hold secrets) out of the URL, where dockerode puts every option by default.
      const created = await this.call(`create container ${spec.name}`, (d, s) =>
        d.createContainer({ _query: { name: spec.name }, _body: createBody(spec), abortSignal: s } as unknown as Docker.ContainerCreateOptions),
      );
      if (spec.files?.length) {
        const archive = tarFiles(spec.files);
        await this.call(`copy files into container ${spec.name}`, (d, s) =>
          d.getContainer(created.id).putArchive(archive, { path: "/", abortSignal: s } as unknown as { path: string }),
        );
      }
      const info = await this.inspectContainer(created.id);
      if (!info) throw new AppError("PROVIDER_ERROR", `Container ${spec.name} was created but cannot be inspected`);
      return info;
    } catch (err) {
      if (!(err instanceof AppError && err.code === "CONFLICT")) throw err;
      const existing = await this.inspectContainer(spec.name);
      if (existing && labelsMatch(existing.labels, spec.labels)) return existing;
      throw new AppError("CONFLICT", `A container named ${spec.name} already exists and does not carry this deployment's labels`, {
        details: { name: spec.name },
      });
    }
  }

  async startContainer(id: string): Promise<void> {
    // The engine resolves a bind source again at every start: one swapped for a symlink since the create must not be followed.
    // Only an instance's mounts are the operator's to choose and live under WHARF_BIND_ROOT; Wharf's own
    // containers (the managed Caddy's admin-socket directory) bind paths Wharf made itself.
    const c = await this.call(`inspect container ${id}`, (d, s) => d.getContainer(id).inspect({ abortSignal: s } as object).then((x) => x, unless([404], null)));
    const binds = (c?.Config?.Labels?.[LABEL_INSTANCE] ? (c.HostConfig?.Mounts ?? []) : []).flatMap((m) => (m.Type === "bind" && m.Source ? [{ source: m.Source, field: `bind mount ${m.Source}:${m.Target}` }] : []));
    const reals = binds.length ? await this.resolveBindSources(binds) : [];
    for (const [i, b] of binds.entries()) {
      if (reals[i] !== b.source) {
        throw new AppError("VALIDATION", `${b.field}: ${b.source} now resolves to ${reals[i]} (changed since the container was created); not started`, { field: "mounts" });
      }
    }
    await this.call(`start container ${id}`, (d, s) => d.getContainer(id).start({ abortSignal: s } as object).catch(unless([304], undefined)));
  }

  resolveBindSources(binds: BindRequest[]): Promise<string[]> {
    return this.bindResolver(binds);
  }

  async stopContainer(id: string, timeoutSeconds = 10): Promise<void> {
    // The engine answers only after the grace period (and the kill), so the deadline grows with it.
    await this.call(`stop container ${id}`, (d, s) => d.getContainer(id).stop({ t: timeoutSeconds, abortSignal: s } as object).catch(unless([304, 404], undefined)), {
      timeoutMs: timeoutSeconds * 1000 + this.timeoutMs,
    });
  }

  async removeContainer(id: string): Promise<void> {
    // v: anonymous volumes belong to this container alone; Wharf could never reattach them.
    await this.call(`remove container ${id}`, (d, s) =>
      d
        .getContainer(id)
        .remove({ force: true, v: true, abortSignal: s } as object)
        .catch((err: unknown) => {
          // 409 "removal already in progress": someone else is already doing it.
          if (engineStatus(err) === 409 && /already in progress/i.test(errorMessage(err))) return undefined;
          return unless([404], undefined)(err);
        }),
    );
  }

  async inspectContainer(idOrName: string): Promise<ContainerInfo | null> {
    return this.call(`inspect container ${idOrName}`, (d, s) =>
      d.getContainer(idOrName).inspect({ abortSignal: s } as object).then(containerInfoFromInspect, unless([404], null)),
    );
  }

  async listManagedContainers(filter: { instanceId?: string } = {}): Promise<ContainerInfo[]> {
    const label = [`${LABEL_MANAGED}=true`];
    if (filter.instanceId) label.push(`${LABEL_INSTANCE}=${filter.instanceId}`);
    const list = await this.call("list containers", (d, s) => d.listContainers({ all: true, filters: { label }, abortSignal: s } as object));
    return list.map(containerInfoFromSummary);
  }

  async containersPublishing(hostPort: number): Promise<string[]> {
    const list = await this.call("list containers", (d, s) => d.listContainers({ filters: { publish: [`${hostPort}/tcp`] }, abortSignal: s } as object));
    return list.map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, ""));
  }

  async ensureVolume(name: string, labels: Record<string, string>): Promise<VolumeInfo> {
    const existing = await this.call(`inspect volume ${name}`, (d, s) => d.getVolume(name).inspect({ abortSignal: s } as object).then((v) => v as Docker.VolumeInspectInfo, unless([404], null)));
    if (existing) return volumeInfo(existing);
    // Creating an existing name is a no-op in the engine (it answers with the existing volume), so a race is harmless.
    const created = await this.call(`create volume ${name}`, (d, s) => d.createVolume({ Name: name, Driver: "local", Labels: labels, abortSignal: s } as Docker.VolumeCreateOptions));
    return volumeInfo(created as unknown as Docker.VolumeInspectInfo);
  }

  async inspectVolume(name: string): Promise<VolumeInfo | null> {
    const v = await this.call(`inspect volume ${name}`, (d, s) => d.getVolume(name).inspect({ abortSignal: s } as object).then((x) => x as Docker.VolumeInspectInfo, unless([404], null)));
    return v ? volumeInfo(v) : null;
  }

  private selfVolumes: Promise<string[]> | undefined;
  /** Inside a container the hostname is its id: its named volumes hold Wharf's data. Read once. */
  async selfVolumeNames(): Promise<string[]> {
    this.selfVolumes ??= this.call("inspect own container", (d, s) =>
      d.getContainer(hostname()).inspect({ abortSignal: s } as object).then((c) => (c.Mounts ?? []).flatMap((m) => (m.Type === "volume" && m.Name ? [m.Name] : [])), unless([404], [] as string[])),
    ).catch((err) => {
      this.selfVolumes = undefined;
      throw err;
    });
    return this.selfVolumes;
  }

  async listManagedVolumes(opts: { withSize?: boolean } = {}): Promise<VolumeInfo[]> {
    const managed = (l?: Record<string, string> | null) => l?.[LABEL_MANAGED] === "true";
    if (opts.withSize) {
      // Only system df computes sizes; it walks every volume, so it is for the Volumes page, not for loops.
      const df = await this.call("system df", (d, s) => (d.df as (o: object) => Promise<{ Volumes?: Docker.VolumeInspectInfo[] | null }>)({ abortSignal: s }), { timeoutMs: Math.max(this.timeoutMs, 60_000) });
      return (df.Volumes ?? []).filter((v) => managed(v.Labels)).map(volumeInfo);
    }
    const res = await this.call("list volumes", (d, s) => d.listVolumes({ filters: { label: [`${LABEL_MANAGED}=true`] }, abortSignal: s } as object));
    return (res.Volumes ?? []).filter((v) => managed(v.Labels)).map(volumeInfo);
  }

  async removeVolume(name: string): Promise<void> {
    await this.call(`remove volume ${name}`, (d, s) => d.getVolume(name).remove({ abortSignal: s } as object).then(() => undefined, unless([404], undefined)));
  }

  async containerStats(id: string): Promise<ContainerStats | null> {
    // one-shot: the engine answers at once instead of waiting a second to fill precpu_stats; the collector keeps the previous read for the CPU delta.
    const raw = await this.call(`stats of ${id}`, (d, s) =>
      d.getContainer(id).stats({ stream: false, "one-shot": true, abortSignal: s } as object).then((r) => r as unknown as Parameters<typeof statsFromRaw>[0], unless([404, 409], null)),
    );
    return raw ? statsFromRaw(raw) : null;
  }

  async *containerLogs(id: string, opts: { tail?: number; follow?: boolean; since?: number; signal?: AbortSignal }): AsyncGenerator<LogLine> {
    // Unset options stay out of the query string instead of going out as empty values.
    const query: Record<string, unknown> = { stdout: true, stderr: true };
    if (opts.tail !== undefined) query.tail = opts.tail;
    if (opts.since !== undefined) query.since = opts.since;
    const container = (d: Docker) => d.getContainer(id);
    if (!opts.follow) {
      const buf: unknown = await this.call(`logs of ${id}`, (d, s) => container(d).logs({ ...query, follow: false, abortSignal: s }), {
        signal: opts.signal,
      });
      yield* splitLogBuffer(Buffer.isBuffer(buf) ? buf : Buffer.from(typeof buf === "string" ? buf : JSON.stringify(buf)));
      return;
    }
    const stream = await this.call(`logs of ${id}`, (d, s) => container(d).logs({ ...query, follow: true, abortSignal: s }), { signal: opts.signal });
    const splitter = new LogLineSplitter();
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) yield* splitter.push(chunk);
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw engineError(`logs of ${id}`, err, this.endpoint);
    } finally {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
    if (!opts.signal?.aborted) yield* splitter.flush();
  }

  async *containerEvents(signal: AbortSignal): AsyncGenerator<ContainerEvent> {
    const filters = { type: ["container"], event: ["die", "oom", "health_status"], label: [`${LABEL_MANAGED}=true`] };
    const stream = await this.call("events", (d, s) => d.getEvents({ filters, abortSignal: s } as object), { signal });
    let rest = "";
    try {
      // One JSON object per line; a chunk may end mid-line.
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const lines = (rest + chunk.toString("utf8")).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) {
          if (!line.trim()) continue;
          const e = JSON.parse(line) as { Action?: string; id?: string; time?: number; Actor?: { ID?: string; Attributes?: Record<string, string> } };
          const attrs = e.Actor?.Attributes ?? {};
          const code = attrs.exitCode !== undefined ? Number(attrs.exitCode) : null;
          yield { action: e.Action ?? "", containerId: e.Actor?.ID ?? e.id ?? "", labels: attrs, exitCode: Number.isFinite(code) ? code : null, time: e.time ?? Math.floor(Date.now() / 1000) };
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw engineError("events", err, this.endpoint);
    } finally {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
  }
}
