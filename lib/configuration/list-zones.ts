import { AppError } from "../errors";
import { createDnsProvider } from "../dns";
import type { TSettings } from "../settings/schemas";

/** The provider's own zone list, for the zone selector. */
export async function listProviderZones(settings: TSettings) {
  if (!settings.dns.provider) throw new AppError("VALIDATION", "dns.provider: choose a DNS provider first", { field: "dns.provider" });
  return createDnsProvider(settings.dns.provider).listZones();
}
