import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import path from "node:path";
import { env } from "./env";

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

export function appSecrets(): AppSecrets {
  if (cached) return cached;
  const e = env();
  const needFile = !(e.NEXTAUTH_SECRET && e.WHARF_ENCRYPTION_KEY && e.CRON_SECRET);
  const file = needFile ? loadOrCreateFile(path.join(e.dataDir, "secrets.json")) : undefined;
  cached = {
    authSecret: e.NEXTAUTH_SECRET ?? file!.authSecret,
    encryptionSecret: e.WHARF_ENCRYPTION_KEY ?? file!.encryptionSecret,
    cronSecret: e.CRON_SECRET ?? file!.cronSecret,
  };
  return cached;
}

export function resetSecretsCache(): void {
  cached = undefined;
}
