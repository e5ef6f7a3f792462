import path from "node:path";
import { z } from "zod";

/**
 * Installation ids go into record markers: letters, digits and dashes, at most
 * 40, so that `wharf:<installation>:standalone:<cuid>` stays within
 * Cloudflare's 100-character comment limit; not a consumer type, so a
 * marker never reads as a legacy one. Defined here, at the ground floor,
 * because WHARF_INSTALLATION_ID is validated with it; naming.ts hands it on.
 */
export const INSTALLATION_ID_RE = /^(?!(?:instance|standalone)$)[A-Za-z0-9][A-Za-z0-9-]{0,39}$/;

// The environment, parsed once. Everything is optional: Wharf must start with
// no configuration at all (SPEC §2).
const ZEnvSchema = z.object({
  NODE_ENV: z.string().optional(),
  WHARF_DATA_DIR: z.string().default("./data"),
  // Unset or file: → SQLite (the default); postgres:// or postgresql:// → PostgreSQL (SPEC §15).
  DATABASE_URL: z.string().regex(/^(file:|postgres(ql)?:\/\/)/, "must start with file:, postgres:// or postgresql://").optional(),
  WHARF_MIGRATIONS_DIR: z.string().optional(),
  WHARF_PG_MIGRATIONS_DIR: z.string().optional(),
  NEXTAUTH_SECRET: z.string().min(16).optional(),
  WHARF_ENCRYPTION_KEY: z.string().min(16).optional(),
  CRON_SECRET: z.string().min(16).optional(),
  WHARF_INSTALLATION_ID: z.string().regex(INSTALLATION_ID_RE, "letters, digits and dashes, at most 40").optional(),
  WHARF_ADMIN_EMAIL: z.string().email().optional(),
  WHARF_ADMIN_PASSWORD: z.string().min(8).optional(),
  WHARF_SCHEDULER: z.enum(["on", "off"]).default("on"),
  WHARF_BASE_DOMAIN: z.string().optional(),
  WHARF_TARGET_ADDRESS: z.string().optional(),
  // Initial defaults for containerised installs (docker-compose.yml sets them): instances on a
  // shared network reached by name, and Caddy's admin API. Settings saved in the UI win.
  WHARF_UPSTREAM_NETWORK: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/).optional(),
  WHARF_CADDY_ADMIN_URL: z.string().url().optional(),
  // Wharf in a container: its data directory's path on the host, the source the engine
  // bind-mounts the managed Caddy's admin-socket directory from (issue 24).
  WHARF_HOST_DATA_DIR: z.string().refine((v) => v.startsWith("/"), "must be an absolute path").optional(),
  // What "Use Wharf's Caddy" (one click) chooses; the Settings form starts from them too.
  WHARF_MANAGED_PROXY_IMAGE: z.string().optional(),
  // Container name of Wharf's Caddy (its volume is "<name>-data"): two installations on one engine need two names.
  WHARF_MANAGED_PROXY_CONTAINER: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/).optional(),
  WHARF_MANAGED_PROXY_HTTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  WHARF_MANAGED_PROXY_HTTPS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  WHARF_MANAGED_PROXY_BIND_ADDRESS: z.string().optional(),
  WHARF_TRUST_PROXY: z.enum(["0", "1", "true", "false"]).optional(),
  DOCKER_HOST: z.string().optional(),
  DOCKER_TLS_VERIFY: z.string().optional(),
  DOCKER_CERT_PATH: z.string().optional(),
  CLOUDFLARE_BASE_URL: z.string().url().optional(),
  LOG_LEVEL: z.string().optional(),
  // Bind mounts are refused unless their source lies under this host directory (issue 14). Unset: no bind mounts.
  WHARF_BIND_ROOT: z.string().refine((v) => v.startsWith("/"), "must be an absolute path").optional(),
  // The image of the short-lived container that resolves a bind source on a remote server (issue 27): it needs sh and realpath.
  WHARF_HELPER_IMAGE: z.string().min(1).default("busybox:1.37.0"),
  // Seconds between usage samples of running instances; 0 switches the collector off.
  WHARF_USAGE_INTERVAL_S: z.coerce.number().int().min(0).max(3600).default(15),
  // How long Wharf waits for NPM's certificate POST, which runs certbot inside it (NPM's own nginx allows 15 minutes).
  WHARF_NPM_CERT_TIMEOUT_S: z.coerce.number().int().min(1).max(3600).default(900),
  // Notifications (issue 29): repeats of an event for one consumer within the fold window become one
  // message with a count; the worker polls the outbox every POLL ms; retries back off from BACKOFF ms.
  WHARF_NOTIFY_FOLD_S: z.coerce.number().min(0).max(86400).default(60),
  WHARF_NOTIFY_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(2000),
  WHARF_NOTIFY_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
});

export type TEnv = z.infer<typeof ZEnvSchema> & {
  dataDir: string;
  databaseUrl: string;
  dbProvider: "sqlite" | "postgresql";
  /** The migrations the configured backend applies: one of `migrationFolders`. */
  migrationsDir: string;
  /** Both backends' migration folders (the image sets both variables; `wharf db migrate-to-postgres` reads both). */
  migrationFolders: { sqlite: string; postgresql: string };
};

let cached: TEnv | undefined;

export function env(): TEnv {
  if (cached) return cached;
  // Empty strings in a compose file or .env mean "not set".
  const raw = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== ""));
  const parsed = ZEnvSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid environment variable ${issue.path.join(".")}: ${issue.message}`);
  }
  // turbopackIgnore: these are runtime paths, not files to trace into the build.
  const dataDir = path.resolve(/*turbopackIgnore: true*/ parsed.data.WHARF_DATA_DIR);
  const databaseUrl = parsed.data.DATABASE_URL ?? `file:${path.join(dataDir, "wharf.db")}`;
  const dbProvider = databaseUrl.startsWith("file:") ? "sqlite" : "postgresql";
  const migrationFolders = {
    sqlite: path.resolve(/*turbopackIgnore: true*/ parsed.data.WHARF_MIGRATIONS_DIR ?? path.join(process.cwd(), "prisma", "migrations")),
    postgresql: path.resolve(/*turbopackIgnore: true*/ parsed.data.WHARF_PG_MIGRATIONS_DIR ?? path.join(process.cwd(), "prisma", "postgresql", "migrations")),
  };
  cached = {
    ...parsed.data,
    dataDir,
    databaseUrl,
    dbProvider,
    migrationsDir: migrationFolders[dbProvider],
    migrationFolders,
  };
  return cached;
}

/** Tests change the environment between cases. */
export function resetEnvCache(): void {
  cached = undefined;
}

// Knobs read live, on every call, rather than from the cached parse above:
// tests and operators turn them while a process runs (a test sets
// WHARF_DRAIN_MS between two cases and expects the next deploy to use it),
// and a malformed timing falls back to its default instead of refusing to
// start. The defaults and what each knob means live beside their users
// (deployer/timeouts.ts, tls/timeouts.ts, domains/timeouts.ts, the leases).
export type TEnvNumberKnob =
  | "WHARF_HEALTH_TIMEOUT_MS" | "WHARF_DRAIN_MS" | "WHARF_STOP_TIMEOUT_S"
  | "WHARF_TLS_RESOLVE_TIMEOUT_MS" | "WHARF_TLS_ISSUE_TIMEOUT_MS" | "WHARF_TLS_RETRY_BASE_MS"
  | "WHARF_DOMAIN_RECHECK_MS" | "WHARF_DOMAIN_GRACE_MS" | "WHARF_DOMAIN_LEASE_WAIT_MS" | "WHARF_DOMAIN_RETRY_BASE_MS"
  | "WHARF_CONSUMER_LEASE_MS" | "WHARF_HEARTBEAT_MS" | "WHARF_SYNC_LEASE_MS" | "WHARF_SERVER_CHECK_MS"
  | "WHARF_TASK_FOLLOW_MS";

/** The one env-number parser: a whole number, else (unset, empty, anything but digits) `fallback`. */
export function envNumber(name: TEnvNumberKnob, fallback: number): number {
  const v = process.env[name];
  return v && /^\d+$/.test(v) ? Number(v) : fallback;
}

/** The other live settings, typed; read again on every call (see above). */
export function liveEnv() {
  const e = process.env;
  const resolver = e.WHARF_DNS_RESOLVER;
  return {
    /** What next-auth is told Wharf's address is; pins the allowed origin and is the fallback public URL. */
    nextAuthUrl: e.NEXTAUTH_URL,
    /** WHARF_TRUST_PROXY=1|true: the operator vouches for the proxy's X-Forwarded-For. */
    trustProxy: ["1", "true"].includes(e.WHARF_TRUST_PROXY ?? ""),
    /** WHARF_DNS_RESOLVER (host:port, comma-separated); undefined → the system's resolvers. */
    dnsResolverServers: resolver?.split(",").map((s) => s.trim()).filter(Boolean),
    dnsResolverLabel: resolver || "the system resolver",
    /** Read at the logger's creation, before (and whether or not) the rest of the environment parses. */
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === "test" ? "silent" : "info"),
    /** The PostgreSQL the offline migration writer hands the schema engine (a developer tool, not the app's database). */
    pgToolsUrl: e.WHARF_PG_TOOLS_URL,
    /** The command line's: who runs it (its audit label), and `user create`'s password when --password is not given. */
    cliUser: e.USER,
    cliPassword: e.WHARF_PASSWORD,
  };
}

/**
 * next-auth v4 reads AUTH_TRUST_HOST from the process environment itself, so
 * this is the one write: trust the Host header unless the operator set it.
 */
export function defaultAuthTrustHost(): void {
  process.env.AUTH_TRUST_HOST ??= "true";
}
