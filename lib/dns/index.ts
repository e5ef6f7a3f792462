import type { TDnsProviderConfig } from "../settings/schemas";
import { AdguardProvider } from "./adguard";
import type { AdguardOptions } from "./adguard-api";
import { CloudflareProvider } from "./cloudflare";
import type { CloudflareOptions } from "./cloudflare-client";
import type { PowerDnsOptions } from "./powerdns-api";
import { PowerDnsProvider } from "./powerdns";
import type { DnsProvider } from "./types";

export type * from "./types";
export { ADGUARD_ZONE } from "./adguard";
export { typeForContent, normalizeContent, sameContent } from "./content";

/** Tuning knobs (tests shrink retries and budgets; production uses the defaults). */
export interface DnsProviderOptions {
  cloudflare?: CloudflareOptions;
  powerdns?: PowerDnsOptions;
  adguard?: AdguardOptions;
}

/** Each provider's own TTL rule, checked before settings are saved (no provider is constructed); null where any TTL goes. */
const TTL_RULES: Record<DnsProvider["type"], ((ttl: number) => string | null) | null> = {
  cloudflare: CloudflareProvider.ttlProblem,
  powerdns: null,
  adguard: null,
};

/** Why this provider refuses `ttl` (Cloudflare: 1 or 60 to 86400 seconds), or null when it takes it. */
export function dnsTtlProblem(type: DnsProvider["type"], ttl: number): string | null {
  return TTL_RULES[type]?.(ttl) ?? null;
}

/** The provider for a configuration. Construction makes no request and never throws. */
export function createDnsProvider(config: TDnsProviderConfig, opts: DnsProviderOptions = {}): DnsProvider {
  switch (config.type) {
    case "cloudflare":
      return new CloudflareProvider(config, opts.cloudflare);
    case "powerdns":
      return new PowerDnsProvider(config, opts.powerdns);
    case "adguard":
      return new AdguardProvider(config, opts.adguard);
  }
}
