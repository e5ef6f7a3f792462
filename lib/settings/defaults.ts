import { env } from "../env";
import { LETS_ENCRYPT_DIRECTORY, type TSettings, type TTlsSettings } from "./schemas";

// RFC 6761/2606/8375 reserved names and LAN conventions: no public CA can validate them.
const PRIVATE_SUFFIXES = ["localhost", "local", "lan", "internal", "test", "home.arpa", "example", "invalid", "example.com", "example.net", "example.org"];

/** A base domain a public ACME CA could validate: not an IP, not a reserved or LAN-only name. */
export function isPublicDomain(domain: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, "");
  if (!d.includes(".") || /^[\d.]+$/.test(d) || d.includes(":")) return false;
  return !PRIVATE_SUFFIXES.some((s) => d === s || d.endsWith(`.${s}`));
}

/**
 * What a new installation proposes: ACME as soon as the base domain is
 * public, Caddy's internal CA otherwise. Stored settings without a `tls`
 * section (an installation from before TLS existed) read as `off` instead,
 * in get-settings.ts, so nothing that served over HTTP yesterday changes.
 */
export function proposedTls(baseDomain: string): TTlsSettings {
  return { mode: isPublicDomain(baseDomain) ? "acme" : "internal", acme: defaultAcme() };
}

export function defaultAcme(): TTlsSettings["acme"] {
  return { directoryUrl: LETS_ENCRYPT_DIRECTORY, email: null, trustedRootPem: null };
}

// Zero configuration (SPEC §2): wildcard DNS, no providers, host-port upstreams on loopback.
export function defaultSettings(): TSettings {
  const e = env();
  const baseDomain = e.WHARF_BASE_DOMAIN ?? "wharf.localhost";
  return {
    baseDomain,
    targetAddress: e.WHARF_TARGET_ADDRESS ?? "127.0.0.1",
    dns: { mode: "wildcard", ttl: 300, proxied: false, provider: null },
    proxy: {
      provider: e.WHARF_CADDY_ADMIN_URL ? { type: "caddy", adminUrl: e.WHARF_CADDY_ADMIN_URL.replace(/\/+$/, ""), server: "wharf" } : null,
      upstream: e.WHARF_UPSTREAM_NETWORK ? { mode: "network", network: e.WHARF_UPSTREAM_NETWORK } : { mode: "host", hostAddress: "127.0.0.1" },
    },
    docker: { network: e.WHARF_UPSTREAM_NETWORK ?? "wharf" },
    sync: { intervalMinutes: 5 },
    retention: { days: 90, deploymentsPerInstance: 50, successfulDeploymentsPerInstance: 10, maxAuditEvents: 100_000 },
    registries: [],
    updates: { enabled: true, intervalMinutes: 60 },
    domains: { graceHours: 72 },
    tls: proposedTls(baseDomain),
    limits: { memoryMb: null, cpus: null, pidsLimit: null },
  };
}
