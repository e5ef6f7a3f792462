import { isIP } from "node:net";
import { z } from "zod";
import { ZConsumerTlsSchema, ZDomainSchema } from "../consumers/schemas";
import type { Upstream } from "../proxy/types";

// An upstream is exactly scheme://host[:port]: providers route to a host and
// port, so anything else in the URL (a path, a query, credentials) would be
// silently dropped by Caddy and NPM. Refuse it instead of pretending.
const hostLabel = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;

function isHostname(host: string): boolean {
  return host.length <= 253 && host.split(".").every((l) => hostLabel.test(l));
}

export function parseUpstream(raw: string): { ok: true; upstream: Upstream } | { ok: false; message: string } {
  const v = raw.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v)?.[1]?.toLowerCase();
  if (!scheme) return { ok: false, message: "must be a URL such as http://192.0.2.10:8080" };
  if (scheme !== "http" && scheme !== "https") return { ok: false, message: `must use http:// or https://, not ${scheme}://` };
  const rest = v.slice(scheme.length + 3);
  const authority = /^[^/?#]*/.exec(rest)![0];
  const after = rest.slice(authority.length);
  if (authority.includes("@")) return { ok: false, message: "must not contain credentials (user:password@)" };
  if (after.includes("?") || after.includes("#")) return { ok: false, message: "must not have a query string or fragment" };
  // A lone trailing slash is what browsers and URL() add anyway; any real path is refused.
  if (after !== "" && after !== "/") return { ok: false, message: `must not have a path (${after}): use scheme://host:port only` };

  const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority)!;
  let host = m[1];
  const portText = m[2];
  if (host.startsWith("[")) {
    host = host.slice(1, -1);
    if (isIP(host) !== 6) return { ok: false, message: `has an invalid IPv6 address [${host}]` };
  } else if (!host) {
    return { ok: false, message: "must name a host, e.g. http://192.0.2.10:8080" };
  } else if (isIP(host) !== 4 && !isHostname(host)) {
    return { ok: false, message: `has an invalid host name "${host}"` };
  }
  let port = scheme === "https" ? 443 : 80;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return { ok: false, message: `port must be a number from 1 to 65535 (got "${portText}")` };
    }
    port = Number(portText);
  }
  return { ok: true, upstream: { scheme, host: host.toLowerCase(), port } };
}

export const ZUpstreamUrlSchema = z
  .string({ error: "must be a URL such as http://192.0.2.10:8080" })
  .trim()
  .min(1, "is required")
  .transform((v, ctx): Upstream => {
    const parsed = parseUpstream(v);
    if (parsed.ok) return parsed.upstream;
    ctx.addIssue({ code: "custom", message: parsed.message });
    return z.NEVER;
  });

export const ZCreateProxySchema = z
  .object({
    domain: ZDomainSchema,
    upstream: ZUpstreamUrlSchema,
    websockets: z.boolean().optional(),
    forceTls: z.boolean().optional(),
    tls: ZConsumerTlsSchema.optional(),
  })
  .strict();
export type TCreateProxy = z.infer<typeof ZCreateProxySchema>;

export const ZUpdateProxySchema = ZCreateProxySchema.partial();
export type TUpdateProxy = z.infer<typeof ZUpdateProxySchema>;
