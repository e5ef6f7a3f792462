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
