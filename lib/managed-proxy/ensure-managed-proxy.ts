import { chmodSync, mkdirSync } from "node:fs";
import path from "node:path";
import { getRuntime, type ContainerInfo, type ContainerRuntime } from "../docker";
import { AppError, errorMessage } from "../errors";
import { operationLogger } from "../logger";
import { CaddyAdmin } from "../proxy/caddy-admin";
import {
  LABEL_PROXY,
  LABEL_PROXY_CONFIG,
  MANAGED_CADDY_ADMIN_DIR,
  MANAGED_CADDY_CONFIG_PATH,
  MANAGED_CADDY_DATA_DIR,
  managedAdminDir,
  managedAdminDirOnHost,
  managedAdminUrl,
  managedCaddyUser,
  managedContainerName,
  managedVolumeName,
  managedCaddyJson,
  managedCaddyLabels,
  managedConfigHash,
  reloadSafeSysctls,
  managedPortBindings,
  takenPort,
} from "../proxy/managed-caddy";
import type { TManagedProxyConfig } from "../settings/schemas";

export type ManagedProxyAction = "unchanged" | "started" | "created" | "recreated";

export interface EnsureManagedProxyOptions {
  config: TManagedProxyConfig;
  /** Wharf's Docker network: the proxy joins it to reach instances by name. */
  network: string;
  runtime?: ContainerRuntime;
  /** How long to wait for Caddy's admin API after a start. */
  readyTimeoutMs?: number;
}

// One ensure at a time in this process: a settings change and the reconciler
// may both find the container missing, and two creates would race on its name.
let running: Promise<unknown> = Promise.resolve();

/**
 * Creates, re-creates or starts Wharf's own Caddy (issue 24) until it runs
 * with `config` and its admin API answers. A container whose labels carry
 * another config hash (image, ports, network changed) is replaced; the named
 * volume with Caddy's data and certificates is kept across replacements.
 * A start that cannot bind a port removes what it created and fails with
 * the port and, when the engine says, who holds it.
 */
export function ensureManagedProxy(opts: EnsureManagedProxyOptions): Promise<{ action: ManagedProxyAction; container: ContainerInfo }> {
  const next = running.then(() => ensure(opts));
  running = next.catch(() => undefined);
  return next;
}

async function ensure(opts: EnsureManagedProxyOptions): Promise<{ action: ManagedProxyAction; container: ContainerInfo }> {
  const rt = opts.runtime ?? getRuntime();
  const { config, network } = opts;
  const op = operationLogger({ op: "managedProxy.ensure", consumer: managedContainerName(), image: config.image });
  const existing = await rt.inspectContainer(managedContainerName());
  if (existing && existing.labels[LABEL_PROXY] !== "managed") {
    throw new AppError("CONFLICT", `a container named ${managedContainerName()} exists and is not Wharf's Caddy (no ${LABEL_PROXY}=managed label); rename or remove it first`, {
      field: "proxy.provider",
    });
  }
  // What the engine's kernel allows (reloadSafeSysctls); an engine that does not answer `info` gets none.
  const sysctls = reloadSafeSysctls((await rt.engineInfo?.().catch(() => null))?.kernelVersion ?? "");
  if (existing && existing.labels[LABEL_PROXY_CONFIG] === managedConfigHash(config, network, sysctls)) {
    if (existing.state === "running") {
      await waitForAdmin(config, opts.readyTimeoutMs ?? 15_000);
      return { action: "unchanged", container: existing };
    }
    prepareAdminDir();
    await startOrExplain(rt, existing.id, config, false);
    op.step("started", { state: existing.state });
    await waitForAdmin(config, opts.readyTimeoutMs ?? 15_000);
    return { action: "started", container: (await rt.inspectContainer(existing.id)) ?? existing };
  }
  if (existing) {
    // Another image, port or network: the container is replaced, its volume (certificates) stays.
    await rt.removeContainer(existing.id);
    op.step("removed-outdated", { id: existing.id });
  }
  await rt.ensureNetwork(network);
  await pullIfMissing(rt, config, op);
  await rt.ensureVolume(managedVolumeName(), { [LABEL_PROXY]: "managed" });
  prepareAdminDir();
  const created = await createManagedContainer(rt, config, network, sysctls);
  await startOrExplain(rt, created.id, config, true);
  op.step("created", { id: created.id });
  await waitForAdmin(config, opts.readyTimeoutMs ?? 15_000);
  return { action: existing ? "recreated" : "created", container: (await rt.inspectContainer(created.id)) ?? created };
}

async function pullIfMissing(rt: ContainerRuntime, config: TManagedProxyConfig, op: ReturnType<typeof operationLogger>): Promise<void> {
  if (await rt.imageExists(config.image)) return;
  try {
    await rt.pullImage(config.image);
    op.step("pulled");
  } catch (err) {
    throw new AppError("VALIDATION", `proxy.provider.image: cannot pull ${config.image}: ${errorMessage(err)}`, { field: "proxy.provider.image" });
  }
}

/** Wharf's Caddy as a container (created, not started), on its volume and with its admin-socket directory. */
function createManagedContainer(rt: ContainerRuntime, config: TManagedProxyConfig, network: string, sysctls: Record<string, string>): Promise<ContainerInfo> {
  const [uid, gid] = managedCaddyUser().split(":").map(Number);
  return rt.createContainer({
    name: managedContainerName(),
    image: config.image,
    // Caddy runs as Wharf's uid:gid (the socket must be Wharf's); its config and data both live on the volume.
    user: managedCaddyUser(),
    env: { XDG_DATA_HOME: MANAGED_CADDY_DATA_DIR, XDG_CONFIG_HOME: `${MANAGED_CADDY_DATA_DIR}/config` },
    labels: managedCaddyLabels(config, network, sysctls),
    sysctls,
    network,
    networkAliases: [managedContainerName()],
    port: config.httpPort,
    restartPolicy: "unless-stopped",
    mounts: [
      { type: "volume", name: managedVolumeName(), target: MANAGED_CADDY_DATA_DIR },
      { type: "bind", source: managedAdminDirOnHost(), target: MANAGED_CADDY_ADMIN_DIR, readOnly: false },
    ],
    cmd: ["caddy", "run", "--config", MANAGED_CADDY_CONFIG_PATH],
    ports: managedPortBindings(config).map(({ containerPort, hostPort, hostIp }) => ({ containerPort, hostPort, hostIp })),
    files: [
      // A directory entry over the volume's mount point hands the volume's root to Caddy's user (a new volume is root's).
      { name: MANAGED_CADDY_DATA_DIR.slice(1), dir: true, mode: 0o700, uid, gid },
      { name: MANAGED_CADDY_CONFIG_PATH.slice(1), content: JSON.stringify(managedCaddyJson(config)), uid, gid },
    ],
  });
}

async function startOrExplain(rt: ContainerRuntime, id: string, config: TManagedProxyConfig, removeOnFailure: boolean): Promise<void> {
  try {
    await rt.startContainer(id);
  } catch (err) {
    const message = errorMessage(err);
    const taken = takenPort(message);
    if (removeOnFailure) await rt.removeContainer(id).catch(() => undefined);
    if (!taken) throw err;
    const binding = managedPortBindings(config).find((b) => b.hostPort === taken.port);
    const holders = taken.heldBy === "container" && rt.containersPublishing ? (await rt.containersPublishing(taken.port).catch(() => [])).filter((n) => n !== managedContainerName()) : [];
    const who = holders.length
      ? `container ${holders.join(", ")} publishes it`
      : taken.heldBy === "container"
        ? "another container publishes it"
        : "another process on the host listens on it (Docker does not say which; `ss -ltnp` does)";
    const field = binding?.field ?? "proxy.provider";
    throw new AppError("CONFLICT", `${field}: port ${taken.port} on ${binding?.hostIp ?? config.bindAddress} is already taken: ${who}; free it or choose another port`, {
      field,
      details: { port: taken.port, holders },
      publicDetails: { port: taken.port, holders },
    });
  }
}

/**
 * The admin socket's directory, Wharf's and 0700: only Wharf's user on the
 * host gets to the socket. Made again before every create or start (a bind
 * mount whose source is gone fails the start). A socket left behind by a
 * killed Caddy needs no clean-up: Caddy 2.6 replaces it (checked after a
 * SIGKILL), and the directory being Wharf's lets Caddy, as Wharf's user, do so.
 */
function prepareAdminDir(): void {
  const dir = managedAdminDir();
  mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Caddy reads its config at start; its admin API answering with Wharf's server in it means routes can be pushed. */
async function waitForAdmin(config: TManagedProxyConfig, timeoutMs: number): Promise<void> {
  const url = managedAdminUrl();
  const admin = new CaddyAdmin(url, 2_000);
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  for (;;) {
    try {
      const { value } = await admin.get("/config/apps/http/servers");
      if (value && typeof value === "object") return;
      last = "its config has no HTTP servers";
    } catch (err) {
      last = errorMessage(err);
    }
    if (Date.now() >= deadline) {
      throw new AppError("PROVIDER_ERROR", `Wharf's Caddy (${managedContainerName()}) did not answer on its admin API at ${url} within ${Math.round(timeoutMs / 1000)} s (${last}); see docker logs ${managedContainerName()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
