import { mkdirSync } from "node:fs";
import { env } from "./env";
import { logger } from "./logger";
import { migrate } from "./db/migrate";
import { appSecrets, loadInstallationId } from "./secrets";
import { bootstrapAdminFromEnv } from "./auth/users";
import { keepUpgradeOnHttp } from "./settings/keep-upgrade-on-http";

// Runs once per server process (instrumentation.ts) and before every CLI
// command: data folder, secrets, migrations, first admin. A server's later
// steps (deploy recovery, the loops) are listed in server-start.ts.
let started: Promise<void> | undefined;

export function ensureStarted(): Promise<void> {
  started ??= (async () => {
    const e = env();
    mkdirSync(e.dataDir, { recursive: true });
    appSecrets();
    const result = await migrate({ databaseUrl: e.databaseUrl, migrationsDir: e.migrationsDir });
    logger.info({ op: "startup", step: "migrate", backend: e.dbProvider, applied: result.applied, alreadyApplied: result.alreadyApplied }, "database ready");
    await loadInstallationId();
    if (await keepUpgradeOnHttp(result)) {
      logger.info({ op: "startup", step: "tls" }, "upgraded from before TLS with no saved settings: TLS stays off until chosen in Settings");
    }
    if (await bootstrapAdminFromEnv(e.WHARF_ADMIN_EMAIL, e.WHARF_ADMIN_PASSWORD)) {
      logger.info({ op: "startup", step: "admin" }, "first admin created from WHARF_ADMIN_EMAIL");
    }
  })();
  return started;
}
