import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { env } from "./env";
import { INSTALLATION_ID_RE } from "./naming";

// The three process secrets. Each comes from the environment when set,
// otherwise it is generated once and kept in <data dir>/secrets.json (mode 0600)
// so that sessions, encrypted settings and the cron secret survive restarts.
export interface AppSecrets {
  authSecret: string;
  encryptionSecret: string;
  cronSecret: string;
}

let cached: AppSecrets | undefined;

function loadOrCreateFile(file: string): AppSecrets {
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<AppSecrets>;
    if (parsed.authSecret && parsed.encryptionSecret && parsed.cronSecret) return parsed as AppSecrets;
  }
  const fresh: AppSecrets = {
    authSecret: randomBytes(32).toString("base64url"),
    encryptionSecret: randomBytes(32).toString("base64url"),
    cronSecret: randomBytes(32).toString("base64url"),
  };
  mkdirSync(path.dirname(file), { recursive: true });
  // Write-then-rename so that two processes starting at once never read a half file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(fresh, null, 2) + "\n", { mode: 0o600 });
  if (existsSync(file)) return loadOrCreateFile(file);
  renameSync(tmp, file);
  return fresh;
}

/**
 * With PostgreSQL, replicas share one database: a secret generated into one
 * machine's ./data would differ on the next (sessions signed by one replica
 * refused by another, settings encrypted with a key the others lack).
 */
export function missingReplicaSecrets(e = env()): string[] {
  if (e.dbProvider !== "postgresql") return [];
  return (["NEXTAUTH_SECRET", "WHARF_ENCRYPTION_KEY", "CRON_SECRET"] as const).filter((k) => !e[k]);
}

export function appSecrets(): AppSecrets {
  if (cached) return cached;
  const e = env();
  const missing = missingReplicaSecrets(e);
  if (missing.length) {
    throw new Error(
      `With DATABASE_URL on PostgreSQL, ${missing.join(", ")} must be set in the environment (the same value on every replica; ` +
        `at least 16 characters, e.g. \`openssl rand -base64 32\`): a secret generated under ./data would differ between replicas`,
    );
  }
  const needFile = !(e.NEXTAUTH_SECRET && e.WHARF_ENCRYPTION_KEY && e.CRON_SECRET);
  const file = needFile ? loadOrCreateFile(path.join(e.dataDir, "secrets.json")) : undefined;
  cached = {
    authSecret: e.NEXTAUTH_SECRET ?? file!.authSecret,
    encryptionSecret: e.WHARF_ENCRYPTION_KEY ?? file!.encryptionSecret,
    cronSecret: e.CRON_SECRET ?? file!.cronSecret,
  };
  return cached;
}

// On globalThis, not in this module: Next bundles the start-up code (instrumentation) and the
// pages and routes into separate chunks, each with its own copy of this module, and on
// PostgreSQL only the start-up loads the id (a page reading it found it missing: a 500).
const held = globalThis as unknown as { __wharfInstallationId?: string };

/**
 * This installation's id, written into every DNS ownership marker so that two
 * Wharfs sharing a zone (staging and production) never take each other's
 * records. `WHARF_INSTALLATION_ID` wins; otherwise it is generated on first
 * start and kept beside the secrets in <data dir>/installation-id. Created
 * with link(2), which refuses to replace an existing file, so two processes
 * starting at once agree on one id.
 */
export function installationId(): string {
  if (held.__wharfInstallationId) return held.__wharfInstallationId;
  const e = env();
  if (e.WHARF_INSTALLATION_ID) return (held.__wharfInstallationId = e.WHARF_INSTALLATION_ID);
  if (e.dbProvider === "postgresql") throw new Error("installation id not loaded: loadInstallationId() runs at start-up on PostgreSQL");
  const file = path.join(e.dataDir, "installation-id");
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${randomBytes(6).toString("hex")}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  const id = readFileSync(file, "utf8").trim();
  if (!INSTALLATION_ID_RE.test(id)) throw new Error(`${file} does not hold a valid installation id (letters, digits and dashes, at most 40)`);
  return (held.__wharfInstallationId = id);
}

/**
 * On PostgreSQL the installation id lives in the database (Setting
 * `installation-id`), so every replica writes the same marker: the first
 * start inserts one, later ones (and racing replicas) read the winner's.
 * On SQLite it stays in the data folder, as before.
 */
export async function loadInstallationId(): Promise<string> {
  const e = env();
  if (e.WHARF_INSTALLATION_ID || e.dbProvider !== "postgresql") return installationId();
  const { db } = await import("./db");
  const fresh = randomBytes(6).toString("hex");
  await db.$executeRaw`INSERT INTO "Setting" ("key", "value", "updatedAt") VALUES ('installation-id', ${fresh}, now()) ON CONFLICT ("key") DO NOTHING`;
  const row = await db.setting.findUniqueOrThrow({ where: { key: "installation-id" } });
  if (!INSTALLATION_ID_RE.test(row.value)) throw new Error("Setting installation-id does not hold a valid installation id (letters, digits and dashes, at most 40)");
  return (held.__wharfInstallationId = row.value);
}

/** Test set-up: the id a scratch database holds, without loading lib/db before the test file can install its own client. */
export function rememberInstallationId(id: string): void {
  if (!INSTALLATION_ID_RE.test(id)) throw new Error("not a valid installation id");
  held.__wharfInstallationId = id;
}

export function resetSecretsCache(): void {
  cached = undefined;
  held.__wharfInstallationId = undefined;
}
