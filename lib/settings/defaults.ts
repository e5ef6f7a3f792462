import { env } from "../env";
import type { TSettings } from "./schemas";

// Zero configuration (SPEC §2): wildcard DNS, no providers, host-port upstreams on loopback.
export function defaultSettings(): TSettings {
  const e = env();
  return {
    baseDomain: e.WHARF_BASE_DOMAIN ?? "wharf.localhost",
    targetAddress: e.WHARF_TARGET_ADDRESS ?? "127.0.0.1",
    dns: { mode: "wildcard", ttl: 300, proxied: false, provider: null },
    proxy: {
      provider: e.WHARF_CADDY_ADMIN_URL ? { type: "caddy", adminUrl: e.WHARF_CADDY_ADMIN_URL.replace(/\/+$/, ""), server: "wharf" } : null,
      upstream: e.WHARF_UPSTREAM_NETWORK ? { mode: "network", network: e.WHARF_UPSTREAM_NETWORK } : { mode: "host", hostAddress: "127.0.0.1" },
    },
    docker: { network: e.WHARF_UPSTREAM_NETWORK ?? "wharf" },
    sync: { intervalMinutes: 5 },
    retention: { days: 90, deploymentsPerInstance: 50, maxAuditEvents: 100_000 },
    registries: [],
    updates: { enabled: true, intervalMinutes: 60 },
  };
}
