import { isIPv6 } from "node:net";
import { AppError } from "../errors";
import { isWharfRouteId } from "../naming";
import { META_CERT_ERROR, META_CERT_ID, type CertChoice, type NpmProxyHost } from "./npm-types";
import type { ProxyRoute, RouteSpec } from "./types";

// Pure translation between RouteSpec and NPM proxy-host objects, and the
// ownership marker. No I/O here: npm.ts is the shell.

export type NpmHostPayload = Record<string, unknown>;

/*
 * Ownership. NPM has no ids of its own making, so Wharf marks its hosts twice:
 * - a first line `# wharf-route-id: <id> …` in advanced_config. NPM stores the
 *   string verbatim, renders it as an nginx comment, and both its UIs send
 *   the textarea back unchanged on save, so it survives operator edits. It
 *   decides ownership.
 * - meta.wharf_route_id. NPM merges meta on its own writes
 *   (`_.assign({}, host.meta, {nginx_online, nginx_err})`), but an update
 *   replaces meta whole and the legacy (<= 2.12) UI rebuilds meta from its
 *   form fields on every save, dropping unknown keys. It is only a fallback.
 */
export const META_MARKER = "wharf_route_id";
const MARKER_RE = /^#\s*wharf-route-id:\s*(\S+)/;

export function markerLine(id: string): string {
  return `# wharf-route-id: ${id} (managed by Wharf: changes to this host's upstream and domains are overwritten)`;
}

export function wharfIdOf(host: NpmProxyHost): string | null {
  for (const line of (host.advanced_config ?? "").split("\n")) {
    const m = MARKER_RE.exec(line.trim());
    if (m && isWharfRouteId(m[1])) return m[1];
  }
  const fromMeta = host.meta?.[META_MARKER];
  return typeof fromMeta === "string" && isWharfRouteId(fromMeta) ? fromMeta : null;
}

/** Our marker as the first line; any other advanced config an operator added is kept. */
export function withMarker(advancedConfig: string, id: string): string {
  const rest = advancedConfig
    .split("\n")
    .filter((l) => !MARKER_RE.test(l.trim()))
    .join("\n")
    .replace(/^\n+/, "");
  return rest ? `${markerLine(id)}\n${rest}` : markerLine(id);
}

/**
 * NPM writes forward_host into `proxy_pass http://<host>:<port>` verbatim: a
 * bare IPv6 address passes nginx's config test and then fails every request
 * ("invalid port in upstream"). So it is sent bracketed, and the brackets are
 * stripped on read-back, so the reconciler sees no drift.
 */
export function toNpmForwardHost(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

export function fromNpmForwardHost(host: string): string {
  const m = /^\[(.+)\]$/.exec(host ?? "");
  return m && isIPv6(m[1]) ? m[1] : host;
}

function cleanMeta(meta: NpmProxyHost["meta"]): Record<string, unknown> {
  const { nginx_online: _online, nginx_err: _err, ...rest } = meta ?? {};
  return rest;
}

/**
 * The fields Wharf manages. An update sends only these: NPM's PUT patches,
 * so a certificate, access list or HSTS setting an operator attached to a
 * Wharf host in NPM is kept. Websockets default to on, matching Caddy where
 * reverse_proxy always upgrades.
 */
export function hostPayload(spec: RouteSpec, existing?: NpmProxyHost, cert?: CertChoice): NpmHostPayload {
  const tls = tlsFields(spec, cert);
  const meta: Record<string, unknown> = { ...cleanMeta(existing?.meta), [META_MARKER]: spec.id };
  if (cert) Object.assign(meta, certMeta(cert));
  return {
    domain_names: spec.hosts,
    forward_scheme: spec.upstream.scheme,
    forward_host: toNpmForwardHost(fromNpmForwardHost(spec.upstream.host)),
    forward_port: spec.upstream.port,
    allow_websocket_upgrade: spec.websockets ?? true,
    ssl_forced: spec.forceTls ?? false,
    advanced_config: withMarker(existing?.advanced_config ?? "", spec.id),
    meta,
    enabled: true,
    ...tls,
  };
}

/** Records on the host which certificate Wharf created (Wharf's to delete) or why the request failed. */
export function certMeta(cert: CertChoice): Record<string, unknown> {
  const own = "created" in cert && cert.created ? cert.id : "pending" in cert ? cert.pending : undefined;
  return { [META_CERT_ID]: own, [META_CERT_ERROR]: "error" in cert ? cert.error : undefined };
}

/**
 * The TLS fields of a host whose certificate Wharf manages (TLS mode acme):
 * the certificate attached, forced TLS (the redirect) and HSTS only once it
 * is issued (the caller sets tls.redirect/hsts then), HTTP/2 with it. NPM
 * itself turns HSTS off on a host without forced TLS. Null: Wharf leaves the
 * host's certificate fields as they are.
 */
export function tlsFields(spec: RouteSpec, cert?: CertChoice) {
  if (!cert || spec.tls?.issuer.mode !== "acme") return null;
  const has = cert.id > 0;
  const sslForced = has && spec.tls.redirect;
  return { certificate_id: cert.id, ssl_forced: sslForced, hsts_enabled: sslForced && spec.tls.hsts, http2_support: has };
}

/** The same managed fields as they were, to put a host back after NPM rejected an update. */
export function restorePayload(previous: NpmProxyHost): NpmHostPayload {
  return {
    domain_names: previous.domain_names,
    forward_scheme: previous.forward_scheme,
    forward_host: previous.forward_host,
    forward_port: Number(previous.forward_port),
    allow_websocket_upgrade: Boolean(previous.allow_websocket_upgrade),
    ssl_forced: Boolean(previous.ssl_forced),
    advanced_config: previous.advanced_config ?? "",
    meta: cleanMeta(previous.meta),
    enabled: Boolean(previous.enabled ?? true),
  };
}

/**
 * NPM silently turns ssl_forced off for a host without a certificate
 * (internalHost.cleanSslHstsData). Wharf does not issue certificates, so
 * forced TLS needs one the operator attached to the host in NPM.
 */
export function checkForceTls(spec: RouteSpec, existing?: NpmProxyHost): void {
  // With TLS mode acme Wharf attaches the certificate itself and forces TLS once it is issued.
  if (!spec.forceTls || spec.tls?.issuer.mode === "acme" || (existing && Number(existing.certificate_id) > 0)) return;
  const where = existing ? `proxy host #${existing.id} (${existing.domain_names.join(", ")})` : `a new proxy host for ${spec.hosts.join(", ")}`;
  throw new AppError(
    "VALIDATION",
    `Nginx Proxy Manager can only force TLS on a host with an SSL certificate, and ${where} has none; create the route without forced TLS, attach a certificate to it in NPM, then enable forced TLS`,
    { field: "forceTls" },
  );
}

/** Differences between a host read back and the spec, as "field: expected X, got Y". */
export function hostDiff(host: NpmProxyHost, spec: RouteSpec, cert?: CertChoice): string[] {
  const tls = tlsFields(spec, cert);
  const diffs: string[] = [];
  const check = (field: string, expected: unknown, got: unknown) => {
    if (expected !== got) diffs.push(`${field}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
  };
  const domains = (host.domain_names ?? []).map((d) => d.toLowerCase()).sort();
  check("domain_names", [...spec.hosts].sort().join(","), domains.join(","));
  check("forward_scheme", spec.upstream.scheme, host.forward_scheme);
  check("forward_host", fromNpmForwardHost(spec.upstream.host), fromNpmForwardHost(host.forward_host));
  check("forward_port", spec.upstream.port, Number(host.forward_port));
  check("allow_websocket_upgrade", spec.websockets ?? true, Boolean(host.allow_websocket_upgrade));
  check("ssl_forced", tls ? tls.ssl_forced : (spec.forceTls ?? false), Boolean(host.ssl_forced));
  if (tls) {
    check("certificate_id", tls.certificate_id, Number(host.certificate_id ?? 0));
    check("hsts_enabled", tls.hsts_enabled, Boolean(host.hsts_enabled));
  }
  check("enabled", true, Boolean(host.enabled ?? true));
  check("marker", spec.id, wharfIdOf(host));
  return diffs;
}

export function toProxyRoute(host: NpmProxyHost): ProxyRoute | null {
  const id = wharfIdOf(host);
  if (!id) return null;
  const scheme = host.forward_scheme === "https" ? "https" : "http";
  return {
    id,
    hosts: (host.domain_names ?? []).map((d) => d.toLowerCase()),
    upstreams: [{ scheme, host: fromNpmForwardHost(host.forward_host), port: Number(host.forward_port) }],
    providerId: String(host.id),
  };
}
