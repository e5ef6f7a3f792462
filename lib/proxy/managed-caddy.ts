import { createHash } from "node:crypto";
import path from "node:path";
import { env } from "../env";
import { MANAGED_PROXY_DEFAULTS, type TCaddyConfig, type TManagedProxyConfig } from "../settings/schemas";

// The Caddy that Wharf runs itself (issue 24), pure parts: names, labels, the
// config Caddy starts with, and how Wharf reaches its admin API. The
// container is driven by lib/managed-proxy/; routes go through the ordinary
// CaddyProvider with the admin URL from here.

/** The container's name (also its alias on Wharf's network); WHARF_MANAGED_PROXY_CONTAINER overrides it. */
export function managedContainerName(): string {
  return env().WHARF_MANAGED_PROXY_CONTAINER ?? "wharf-caddy";
}
/** Caddy's data (certificates, its local CA): kept when the container is replaced or removed. */
export function managedVolumeName(): string {
  return `${managedContainerName()}-data`;
}
export const MANAGED_CADDY_SERVER = "wharf";
/**
 * Caddy's admin API listens on a unix socket in this directory of the
 * container, bind-mounted from Wharf's data directory: no admin TCP listener
 * exists, so nothing on Wharf's network (every instance sits there) can
 * reach it, and on the host only Wharf's user can (directory mode 0700).
 */
export const MANAGED_CADDY_ADMIN_DIR = "/run/wharf-admin";
export const MANAGED_CADDY_ADMIN_SOCKET = "admin.sock";
/** Caddy's data (certificates, its local CA) and config, both on the volume. */
export const MANAGED_CADDY_DATA_DIR = "/data";
/** The config file Wharf copies into the container before its first start. */
export const MANAGED_CADDY_CONFIG_PATH = "/wharf-caddy.json";
/** Not `wharf.managed`: that label marks instance containers, and this one would be listed as an orphan. */
export const LABEL_PROXY = "wharf.proxy";
export const LABEL_PROXY_CONFIG = "wharf.proxy.config";

/** What the one-click choice and the Settings form start from: the environment's WHARF_MANAGED_PROXY_* over caddy:2 on 80/443. */
export function managedProxyDefaults(): TManagedProxyConfig {
  const e = env();
  return {
    type: "managed",
    image: e.WHARF_MANAGED_PROXY_IMAGE ?? MANAGED_PROXY_DEFAULTS.image,
    httpPort: e.WHARF_MANAGED_PROXY_HTTP_PORT ?? MANAGED_PROXY_DEFAULTS.httpPort,
    httpsPort: e.WHARF_MANAGED_PROXY_HTTPS_PORT ?? MANAGED_PROXY_DEFAULTS.httpsPort,
    bindAddress: e.WHARF_MANAGED_PROXY_BIND_ADDRESS ?? MANAGED_PROXY_DEFAULTS.bindAddress,
  };
}

/** The admin socket's directory as Wharf sees it: `<data dir>/managed-caddy/<container>` (one per container name). */
export function managedAdminDir(): string {
  return path.join(env().dataDir, "managed-caddy", managedContainerName());
}

/**
 * The same directory as the engine sees it, the bind mount's source: Wharf's
 * own path, unless Wharf runs in a container itself, where
 * WHARF_HOST_DATA_DIR names its data directory on the host.
 */
export function managedAdminDirOnHost(): string {
  const hostData = env().WHARF_HOST_DATA_DIR;
  return hostData ? path.join(hostData, "managed-caddy", managedContainerName()) : managedAdminDir();
}

/** Where Wharf talks to the managed Caddy's admin API: its unix socket, never a TCP port. */
export function managedAdminUrl(): string {
  return `unix://${path.join(managedAdminDir(), MANAGED_CADDY_ADMIN_SOCKET)}`;
}

/** Who Caddy runs as: Wharf's own uid:gid, so the socket it creates is Wharf's and the 0700 directory lets it in. */
export function managedCaddyUser(): string {
  return `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
}

/** The managed proxy seen as the Caddy provider it is used through. */
export function managedCaddyConfig(): TCaddyConfig {
  return { type: "caddy", adminUrl: managedAdminUrl(), server: MANAGED_CADDY_SERVER };
}

/**
 * Caddy's own config, given at container start. Caddy listens inside the
 * container on the same port numbers that are published, so what it reports
 * (http_port, https_port, listen) is what Wharf reaches from the host: the
 * CaddyProvider's certificate check dials the HTTPS port it reads there.
 * The admin API is on the unix socket only; `persist: false` because Wharf
 * starts Caddy from this file and pushes the routes again, never from an
 * autosave.
 */
export function managedCaddyJson(config: Pick<TManagedProxyConfig, "httpPort" | "httpsPort">): Record<string, unknown> {
  return {
    admin: { listen: `unix/${MANAGED_CADDY_ADMIN_DIR}/${MANAGED_CADDY_ADMIN_SOCKET}`, config: { persist: false } },
    apps: {
      // Caddy would try to add its local CA to the container's own trust store: useless there, and refused to a non-root user.
      pki: { certificate_authorities: { local: { install_trust: false } } },
      http: {
        http_port: config.httpPort,
        https_port: config.httpsPort,
        servers: { [MANAGED_CADDY_SERVER]: { listen: [`:${config.httpPort}`, `:${config.httpsPort}`], routes: [] } },
      },
    },
  };
}

/**
 * Caddy reloads its whole config on every admin API change, and on Linux its
 * listeners use SO_REUSEPORT: the new listener binds beside the old one, and
 * the kernel resets the connections still queued on the old one when it
 * closes. Linux 5.14+ hands them to the new listener instead with
 * net.ipv4.tcp_migrate_req, a setting of the container's own network
 * namespace. Measured on this project's test Caddy: 286 resets in 62,000
 * requests across 332 reloads without it, 1 in 45,000 across 312 with it.
 * An engine on an older kernel (or one that does not say) gets none.
 */
export function reloadSafeSysctls(kernelVersion: string): Record<string, string> {
  const m = /^(\d+)\.(\d+)/.exec(kernelVersion);
  if (!m) return {};
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 5 || (major === 5 && minor >= 14) ? { "net.ipv4.tcp_migrate_req": "1" } : {};
}

/** Everything the container is created from: a container built from another version of it is re-created. */
export function managedConfigHash(config: TManagedProxyConfig, network: string, sysctls: Record<string, string> = {}): string {
  const { image, httpPort, httpsPort, bindAddress } = config;
  const runAs = { user: managedCaddyUser(), adminDir: managedAdminDirOnHost() };
  // Sysctls only when there are some: a container made before they existed, on a kernel without them, is not re-created.
  const kernel = Object.keys(sysctls).length ? { sysctls } : {};
  return createHash("sha256").update(JSON.stringify({ image, httpPort, httpsPort, bindAddress, network, ...runAs, caddy: managedCaddyJson(config), ...kernel })).digest("hex").slice(0, 16);
}

export function managedCaddyLabels(config: TManagedProxyConfig, network: string, sysctls: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_PROXY]: "managed", [LABEL_PROXY_CONFIG]: managedConfigHash(config, network, sysctls) };
}

/** The host ports and where each is published: 80/443 on the bind address, nothing else (the admin API has no port). */
export function managedPortBindings(config: TManagedProxyConfig): Array<{ containerPort: number; hostPort: number; hostIp: string; field: string }> {
  return [
    { containerPort: config.httpPort, hostPort: config.httpPort, hostIp: config.bindAddress, field: "proxy.provider.httpPort" },
    { containerPort: config.httpsPort, hostPort: config.httpsPort, hostIp: config.bindAddress, field: "proxy.provider.httpsPort" },
  ];
}

/**
 * The host port a failed start names, from the engine's two wordings:
 * "Bind for 127.0.0.1:18080 failed: port is already allocated" (another
 * container holds it) and "listen tcp4 0.0.0.0:80: bind: address already in
 * use" (another process on the host).
 */
export function takenPort(message: string): { port: number; heldBy: "container" | "process" } | null {
  const allocated = /Bind for \[?[0-9a-fA-F.:]*\]?:(\d+) failed: port is already allocated/.exec(message);
  if (allocated) return { port: Number(allocated[1]), heldBy: "container" };
  const inUse = /listen tcp[46]? \[?[0-9a-fA-F.:]*\]?:(\d+): bind: address already in use/.exec(message);
  if (inUse) return { port: Number(inUse[1]), heldBy: "process" };
  return null;
}
