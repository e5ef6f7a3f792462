import { normalizeFqdn } from "../naming";
import type { TSettings } from "../settings/schemas";
import { createDnsProvider } from "./index";
import type { DnsProvider, DnsZone } from "./types";

// One provider per configuration, so the API-call counters and the
// Cloudflare request budget span operations.
const cache = new Map<string, DnsProvider>();

/** The DNS provider when DNS is managed, null in wildcard mode or without a provider. */
export function getDnsProvider(settings: Pick<TSettings, "dns">): DnsProvider | null {
  if (settings.dns.mode !== "managed" || !settings.dns.provider) return null;
  return dnsProviderFor(settings.dns.provider);
}

export function dnsProviderFor(config: NonNullable<TSettings["dns"]["provider"]>): DnsProvider {
  const key = JSON.stringify(config);
  let provider = cache.get(key);
  if (!provider) {
    if (cache.size > 8) cache.clear();
    provider = createDnsProvider(config);
    cache.set(key, provider);
  }
  return provider;
}

/**
 * The configured provider, writing in another of its zones (a custom domain's
 * zone, issue 25): the same connection and credentials with the zone swapped.
 * AdGuard Home has no zones (its rewrites answer only its own clients), so
 * there is none: custom domains are never written there.
 */
export function dnsProviderForZone(config: NonNullable<TSettings["dns"]["provider"]>, zone: DnsZone): DnsProvider | null {
  switch (config.type) {
    case "powerdns":
      return dnsProviderFor({ ...config, zone: zone.name });
    case "cloudflare":
      return dnsProviderFor({ ...config, zoneId: zone.id });
    case "adguard":
      return null;
  }
}

/** The configured provider writing in its zone named `zoneName` (where a ledger row says its record is), or null when the provider has no such zone. */
export async function dnsProviderForZoneName(config: NonNullable<TSettings["dns"]["provider"]>, zoneName: string): Promise<DnsProvider | null> {
  if (config.type === "adguard" || !zoneName) return null;
  const zone = (await dnsProviderFor(config).listZones()).find((z) => normalizeFqdn(z.name) === normalizeFqdn(zoneName));
  return zone ? dnsProviderForZone(config, zone) : null;
}
