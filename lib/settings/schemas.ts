import { z } from "zod";
import { ZLimitsSchema, type TLimits } from "../container-limits";

// The settings shape of SPEC §10. Secret fields (`apiToken`, `apiKey`,
// `password`) are write-only: stored encrypted, returned as `<field>Set`.

export const MANAGED_PROXY_DEFAULTS = { image: "caddy:2", httpPort: 80, httpsPort: 443, bindAddress: "0.0.0.0" } as const;

const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const ZDomainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(253, "must be at most 253 characters")
  .refine((v) => v.replace(/\.$/, "").split(".").every((l) => label.test(l)) && v.includes("."), {
    message: "must be a domain name such as example.com (lower-case letters, digits and hyphens)",
  })
  .transform((v) => v.replace(/\.$/, ""));

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const ZTargetAddressSchema = z
  .string()
  .trim()
  .min(1, "is required")
  .refine((v) => ipv4.test(v) || z.ipv6().safeParse(v).success || ZDomainSchema.safeParse(v).success, {
    message: "must be an IPv4 address, an IPv6 address or a hostname",
  });

const ZHttpUrlSchema = z
  .string()
  .trim()
  .refine((v) => /^https?:\/\/[^\s/]+/.test(v) && URL.canParse(v), { message: "must be an http(s):// URL" })
  .transform((v) => v.replace(/\/+$/, ""));

// Secrets: optional on input so that a partial update keeps the stored value.
const secret = z.string().min(1, "must not be empty").max(4096);

export const ZCloudflareInputSchema = z.object({
  type: z.literal("cloudflare"),
  apiToken: secret.optional(),
  zoneId: z.string().trim().max(64).default(""),
  baseUrl: ZHttpUrlSchema.optional().nullable(),
});
export const ZPowerDnsInputSchema = z.object({
  type: z.literal("powerdns"),
  apiUrl: ZHttpUrlSchema,
  apiKey: secret.optional(),
  zone: z.string().trim().max(253).default(""),
  serverId: z.string().trim().min(1).max(64).default("localhost"),
});
export const ZAdguardInputSchema = z.object({
  type: z.literal("adguard"),
  url: ZHttpUrlSchema,
  username: z.string().trim().min(1, "is required").max(256),
  password: secret.optional(),
});
export const ZDnsProviderInputSchema = z.discriminatedUnion("type", [ZCloudflareInputSchema, ZPowerDnsInputSchema, ZAdguardInputSchema]);

export const ZCaddyInputSchema = z.object({
  type: z.literal("caddy"),
  adminUrl: ZHttpUrlSchema,
  server: z.string().trim().min(1).max(128).default("wharf"),
});
export const ZNpmInputSchema = z.object({
  type: z.literal("npm"),
  url: ZHttpUrlSchema,
  email: z.string().trim().email("must be an e-mail address"),
  password: secret.optional(),
});
const ZPortSchema = z.number().int().min(1, "must be a port from 1 to 65535").max(65535, "must be a port from 1 to 65535");
const ZBindAddressSchema = z
  .string()
  .trim()
  .refine((v) => ipv4.test(v) || z.ipv6().safeParse(v).success, { message: "must be an IPv4 or IPv6 address to publish on (0.0.0.0 for every interface)" });
const ZImageRefSchema = z.string().trim().min(1, "is required").max(512).regex(/^[a-zA-Z0-9][a-zA-Z0-9._/:@-]*$/, "must be an image reference such as caddy:2");

/**
 * Wharf runs Caddy itself (issue 24). Defaults filled in on input so that the
 * stored form is complete. `bindAddress` is where 80/443 are published (all
 * interfaces by default; tests use 127.0.0.1). Caddy's admin API has no port
 * (a unix socket in Wharf's data directory): an `adminPort` that older
 * clients or stored settings still carry is accepted and dropped.
 */
export const ZManagedProxyInputSchema = z
  .object({
    type: z.literal("managed"),
    image: ZImageRefSchema.default(MANAGED_PROXY_DEFAULTS.image),
    httpPort: ZPortSchema.default(MANAGED_PROXY_DEFAULTS.httpPort),
    httpsPort: ZPortSchema.default(MANAGED_PROXY_DEFAULTS.httpsPort),
    bindAddress: ZBindAddressSchema.default(MANAGED_PROXY_DEFAULTS.bindAddress),
  })
  .refine((v) => v.httpPort !== v.httpsPort, { message: "httpPort and httpsPort must differ", path: ["httpsPort"] });
export const ZProxyProviderInputSchema = z.discriminatedUnion("type", [ZCaddyInputSchema, ZNpmInputSchema, ZManagedProxyInputSchema]);

export const ZUpstreamSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("host"), hostAddress: ZTargetAddressSchema }),
  z.object({
    mode: z.literal("network"),
    network: z.string().trim().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, "must be a Docker network name"),
    /**
     * Also publish each instance's port on this host address (engine-chosen
     * port) so that Wharf, running on the host, can probe its health; the
     * route still goes by name on the network. Set by the managed proxy.
     */
    probeAddress: z.enum(["127.0.0.1", "::1"]).optional(),
  }),
]);

// Registry credentials: matched to an image by its registry host (Docker Hub's aliases folded).
export const ZRegistryHostSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, "is required")
  .max(255)
  .transform((v) => v.replace(/^https?:\/\//, "").replace(/\/.*$/, ""))
  .refine((v) => /^(\[[0-9a-f:]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:\d{1,5})?$/.test(v), { message: "must be a registry host such as ghcr.io or registry.example.com:5000" });
export const ZRegistryInputSchema = z
  .object({ host: ZRegistryHostSchema, username: z.string().trim().min(1, "is required").max(256), password: secret.optional(), authHost: ZRegistryHostSchema.nullable().optional() })
export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";

const ZPemSchema = z
  .string()
  .trim()
  .max(65_536, "must be at most 64 KiB")
  .refine((v) => /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/.test(v), { message: "must be a PEM certificate (-----BEGIN CERTIFICATE----- …)" });

/** TLS (SPEC §3/§10). `acme` fields merge one by one in a partial update; null clears an optional one. */
export const ZTlsUpdateSchema = z
  .object({
    mode: z.enum(["acme", "internal", "off"]),
    acme: z
      .object({
        directoryUrl: z
          .string()
          .trim()
          .refine((v) => /^https:\/\/[^\s/]+/.test(v) && URL.canParse(v), { message: "must be an https:// ACME directory URL (RFC 8555)" }),
        email: z.string().trim().email("must be an e-mail address").nullable(),
        trustedRootPem: ZPemSchema.nullable(),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();

const networkName = z.string().trim().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, "must be a Docker network name");

/** PUT /api/settings body: every field optional (a partial update). */
export const ZSettingsUpdateSchema = z
  .object({
    baseDomain: ZDomainSchema,
    targetAddress: ZTargetAddressSchema,
    dns: z
      .object({
        mode: z.enum(["wildcard", "managed"]),
        ttl: z.number().int().min(1, "must be at least 1 (1 means automatic on Cloudflare)").max(86400),
        proxied: z.boolean(),
        provider: ZDnsProviderInputSchema.nullable(),
      })
      .partial()
      .strict(),
    proxy: z
      .object({
        provider: ZProxyProviderInputSchema.nullable(),
        upstream: ZUpstreamSchema,
      })
      .partial()
      .strict(),
    docker: z.object({ network: networkName }).partial().strict(),
    sync: z.object({ intervalMinutes: z.number().int().min(1).max(1440) }).partial().strict(),
    // Retention of history (SPEC §3): audit events and sync runs older than
    // `days`, deployments beyond the newest `deploymentsPerInstance` of each
    // instance, and audit events beyond the newest `maxAuditEvents` are pruned;
    // the newest `successfulDeploymentsPerInstance` successful deployments of
    // each instance are kept whatever their number, to roll back to (issue 22).
    retention: z
      .object({
        days: z.number().int().min(1).max(3650),
        deploymentsPerInstance: z.number().int().min(1).max(1000),
        successfulDeploymentsPerInstance: z.number().int().min(1).max(1000),
        maxAuditEvents: z.number().int().min(1000).max(10_000_000),
      })
      .partial()
      .strict(),
    registries: z.array(ZRegistryInputSchema).max(50),
    updates: z.object({ enabled: z.boolean(), intervalMinutes: z.number().int().min(1).max(10080) }).partial().strict(),
    // Custom domains (SPEC §14): how long a domain that stopped pointing here is still served before its host
    // is taken off the route. WHARF_DOMAIN_GRACE_MS, when set, overrides it (lib/domains/timeouts.ts).
    domains: z
      .object({ graceHours: z.number({ error: "must be a number of hours" }).int("must be a whole number of hours").min(0, "must be 0 hours or more").max(8760, "must be at most 8760 hours (a year)") })
      .partial()
      .strict(),
    tls: ZTlsUpdateSchema,
    /** Defaults for new instances' limits (issue 14); null = no limit. */
    limits: ZLimitsSchema,
  })
  .partial()
  .strict();
export type TSettingsUpdate = z.infer<typeof ZSettingsUpdateSchema>;

// Stored / resolved forms: secrets present (decrypted in memory only).
export type TCloudflareConfig = { type: "cloudflare"; apiToken: string; zoneId: string; baseUrl?: string | null };
export type TPowerDnsConfig = { type: "powerdns"; apiUrl: string; apiKey: string; zone: string; serverId: string };
export type TAdguardConfig = { type: "adguard"; url: string; username: string; password: string };
export type TDnsProviderConfig = TCloudflareConfig | TPowerDnsConfig | TAdguardConfig;
export type TCaddyConfig = { type: "caddy"; adminUrl: string; server: string };
export type TNpmConfig = { type: "npm"; url: string; email: string; password: string };
export type TManagedProxyConfig = { type: "managed"; image: string; httpPort: number; httpsPort: number; bindAddress: string };
export type TProxyProviderConfig = TCaddyConfig | TNpmConfig | TManagedProxyConfig;
export type TUpstream = z.infer<typeof ZUpstreamSchema>;

export type TTlsMode = "acme" | "internal" | "off";
export interface TTlsSettings {
  mode: TTlsMode;
  acme: { directoryUrl: string; email: string | null; trustedRootPem: string | null };
}

export interface TSettings {
  baseDomain: string;
  targetAddress: string;
  dns: { mode: "wildcard" | "managed"; ttl: number; proxied: boolean; provider: TDnsProviderConfig | null };
  proxy: { provider: TProxyProviderConfig | null; upstream: TUpstream };
  docker: { network: string };
  sync: { intervalMinutes: number };
  retention: { days: number; deploymentsPerInstance: number; successfulDeploymentsPerInstance: number; maxAuditEvents: number };
  registries: TRegistryConfig[];
  /** Update detection for instances deployed by tag: a manifest HEAD per instance at most every intervalMinutes. */
  updates: { enabled: boolean; intervalMinutes: number };
  /** Custom domains: a misconfigured domain is still served for `graceHours` (SPEC §14). */
  domains: { graceHours: number };
  tls: TTlsSettings;
  limits: TLimits;
}
/** `authHost`: the registry's token service when it is on another host; credentials go nowhere else. */
export type TRegistryConfig = { host: string; username: string; password: string; authHost?: string | null };

export const SECRET_FIELDS = ["apiToken", "apiKey", "password"] as const;
