import { db } from "../db";
import type { MigrationResult } from "../db/migrate";
import { SETTINGS_KEY } from "./get-settings";

// The migration that brought TLS. An installation whose database existed
// before it and that never saved its settings reads the defaults, and the
// defaults propose TLS (internal or acme) for a new installation. A compose
// install (Caddy preset through WHARF_CADDY_ADMIN_URL) that never opened
// Settings would then switch its sites to HTTPS on upgrade, with redirects
// once issued: exactly what SPEC §7 says an upgrade must not do.
const TLS_MIGRATION = "_consumer_tls";

/** This start applied the TLS migration to a database that already had earlier ones: an upgrade from before TLS. */
export function isUpgradeFromBeforeTls(result: Pick<MigrationResult, "applied" | "alreadyApplied">): boolean {
  return result.alreadyApplied > 0 && result.applied.some((name) => name.endsWith(TLS_MIGRATION));
}

/**
 * On such an upgrade with no stored settings, stores `tls: off` alone (every
 * other field keeps reading its default, see unseal in get-settings.ts), so
 * the installation stays on plain HTTP until the operator chooses. Returns
 * whether it wrote. A row written meanwhile by another process is kept.
 */
export async function keepUpgradeOnHttp(result: Pick<MigrationResult, "applied" | "alreadyApplied">): Promise<boolean> {
  if (!isUpgradeFromBeforeTls(result)) return false;
  if (await db.setting.findUnique({ where: { key: SETTINGS_KEY } })) return false;
  await db.setting.upsert({ where: { key: SETTINGS_KEY }, create: { key: SETTINGS_KEY, value: JSON.stringify({ tls: { mode: "off" } }) }, update: {} });
  return true;
}
