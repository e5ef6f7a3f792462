import { dnsProviderForZone, getDnsProvider } from "../dns/provider-for-settings";
import type { DnsProvider, DnsZone } from "../dns/types";
import { normalizeFqdn } from "../naming";
import type { TSettings } from "../settings/schemas";

// Whether a custom domain lies in a zone the configured DNS provider manages
// (SPEC §14, issue 25): then Wharf writes its CNAME itself. The zone list is
// asked once per sync (the reconciler passes one cache through its pass) or
// once per job.

/** Zone listings by provider configuration, for the length of one pass. */
export type ZoneCache = Map<string, Promise<DnsZone[]>>;

/**
 * The zone among `zones` that holds `domain`: the longest suffix match on
 * whole labels (a delegated `shop.example.org` zone wins over `example.org`;
 * `badexample.org` is not in `example.org`), or null.
 */
export function matchZone(domain: string, zones: DnsZone[]): DnsZone | null {
  const d = normalizeFqdn(domain);
  let best: DnsZone | null = null;
  let bestLength = -1;
  for (const z of zones) {
    const name = normalizeFqdn(z.name);
    if (!name || !(d === name || d.endsWith(`.${name}`))) continue;
    if (name.length > bestLength) [best, bestLength] = [z, name.length];
  }
  return best;
}

export type ManagedZone = { zone: DnsZone; provider: DnsProvider; apex: boolean };

/**
 * The provider zone that holds `domain` and the provider writing in it, or
 * null (DNS not managed, AdGuard Home, or no zone of the provider's holds
 * it). `apex`: the domain is the zone's own name, where a CNAME cannot be
 * (the SOA and NS records are there). Throws when the zones cannot be
 * listed: the caller must not take "unknown" for "not managed".
 */
export async function managedZoneFor(domain: string, settings: TSettings, cache?: ZoneCache): Promise<ManagedZone | null> {
  const configured = getDnsProvider(settings);
  const config = settings.dns.provider;
  if (!configured || !config || config.type === "adguard") return null;
  const key = JSON.stringify(config);
  let zones = cache?.get(key);
  if (!zones) {
    zones = configured.listZones();
    cache?.set(key, zones);
    // A failed listing is not kept: the next domain of the pass asks again.
    zones.catch(() => cache?.delete(key));
  }
  const zone = matchZone(domain, await zones);
  const provider = zone ? dnsProviderForZone(config, zone) : null;
  return zone && provider ? { zone, provider, apex: normalizeFqdn(zone.name) === normalizeFqdn(domain) } : null;
}
