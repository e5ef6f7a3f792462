import { installationOfRouteGroup, isWharfRouteId, routeGroup } from "../naming";
import type { ProxyRoute, RouteSpec, Upstream } from "./types";

// Pure translation between Wharf's RouteSpec and Caddy's route JSON, plus the
// ordering and ownership rules. No I/O here: caddy.ts is the shell.

export type Json = Record<string, unknown>;
export interface CaddyRoute extends Json {
  "@id"?: string;
  group?: string;
  match?: Json[];
  handle?: Json[];
  terminal?: boolean;
}

export function dialAddress(u: Upstream): string {
  return `${u.host.includes(":") ? `[${u.host}]` : u.host}:${u.port}`;
}

/**
 * One route per consumer. Websockets need nothing: reverse_proxy upgrades
 * connections natively. `terminal` stops Caddy from evaluating routes after
 * ours once the host matched, so a later foreign route can never add handlers.
 */
export function buildCaddyRoute(spec: RouteSpec, served?: { httpsPort: number }, installation?: string): CaddyRoute {
  const route = buildRoute(spec, served);
  return installation ? { "@id": route["@id"], group: routeGroup(installation), ...route } : route;
}

function buildRoute(spec: RouteSpec, served?: { httpsPort: number }): CaddyRoute {
  const pool = spec.upstreams?.length ? spec.upstreams : [spec.upstream];
  const proxy: Json = { handler: "reverse_proxy", upstreams: pool.map((u) => ({ dial: dialAddress(u) })) };
  if (spec.upstreams?.length) {
    // A request whose connection was refused is always retried on another task; one that failed after it was sent only when it is idempotent.
    proxy.load_balancing = { selection_policy: { policy: "round_robin" }, try_duration: "5s", try_interval: "250ms", retry_match: [{ method: ["GET", "HEAD", "OPTIONS"] }] };
    proxy.health_checks = { passive: { fail_duration: "10s", max_fails: 1, unhealthy_status: [502, 503, 504] } };
  }
  if (spec.upstream.scheme === "https") proxy.transport = { protocol: "http", tls: {} };
  const tls = served && spec.tls;
  if (!tls || (!tls.redirect && !tls.hsts)) return { "@id": spec.id, match: [{ host: spec.hosts }], handle: [proxy], terminal: true };
  // Per-consumer redirect and HSTS inside the consumer's one route: the
  // server's automatic redirects are off (they would apply to every host at
  // once, before its certificate exists), so plain HTTP keeps serving a
  // consumer until Wharf has seen its certificate.
  const steps: CaddyRoute[] = [];
  if (tls.redirect) {
    const port = served.httpsPort === 443 ? "" : `:${served.httpsPort}`;
    steps.push({
      match: [{ protocol: "http" }],
      handle: [{ handler: "static_response", status_code: 308, headers: { Location: [`https://{http.request.host}${port}{http.request.uri}`] } }],
    });
  }
  if (tls.hsts) {
    steps.push({ match: [{ protocol: "https" }], handle: [{ handler: "headers", response: { set: { "Strict-Transport-Security": ["max-age=31536000"] } } }] });
  }
  steps.push({ handle: [proxy] });
  return { "@id": spec.id, match: [{ host: spec.hosts }], handle: [{ handler: "subroute", routes: steps }], terminal: true };
}

export function routeHosts(route: CaddyRoute): string[] {
  const hosts: string[] = [];
  for (const set of route.match ?? []) {
    if (Array.isArray(set.host)) for (const h of set.host) if (typeof h === "string") hosts.push(h.toLowerCase());
  }
  return [...new Set(hosts)];
}

/** A route that can only match requests for exact host names (no wildcard, no host-less matcher set). */
export function isHostSpecific(route: CaddyRoute): boolean {
  const sets = route.match ?? [];
  return (
    sets.length > 0 &&
    sets.every((s) => Array.isArray(s.host) && s.host.length > 0 && s.host.every((h) => typeof h === "string" && !h.includes("*")))
  );
}

/**
 * Where a new Wharf route goes. Caddy evaluates routes in order and a
 * responding handler ends the chain, so appending after an operator's
 * catch-all (no host matcher, or a wildcard host) would make the route
 * unreachable. Wharf routes match exact hosts only, so placing them before
 * the first such catch-all changes nothing for any other host.
 */
export function insertionIndex(routes: CaddyRoute[]): number {
  const i = routes.findIndex((r) => !isWharfRouteId(r["@id"]) && !isHostSpecific(r));
  return i === -1 ? routes.length : i;
}

/**
 * A route (foreign, or Wharf's under another id) placed before `position` that
 * already claims one of the hosts and so would shadow Wharf's route there.
 * One placed after it is dead configuration, not a reason to refuse.
 */
export function findHostClash(routes: CaddyRoute[], spec: RouteSpec, position: number): { index: number; id?: string; host: string } | null {
  for (const [index, r] of routes.slice(0, position).entries()) {
    if (r["@id"] === spec.id) continue;
    const host = routeHosts(r).find((h) => spec.hosts.includes(h));
    if (host) return { index, id: typeof r["@id"] === "string" ? r["@id"] : undefined, host };
  }
  return null;
}

function collectProxies(handlers: Json[] | undefined, out: Json[]): Json[] {
  for (const h of handlers ?? []) {
    if (h.handler === "reverse_proxy") out.push(h);
    if (h.handler === "subroute" && Array.isArray(h.routes)) for (const r of h.routes as CaddyRoute[]) collectProxies(r.handle, out);
  }
  return out;
}

function parseDial(dial: string, scheme: Upstream["scheme"]): Upstream | null {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(dial);
  return m ? { scheme, host: m[1] ?? m[2], port: Number(m[3]) } : null;
}

/** The route as Wharf reports it, or null when it is not Wharf's. */
export function toProxyRoute(route: CaddyRoute): ProxyRoute | null {
  const id = route["@id"];
  if (typeof id !== "string" || !isWharfRouteId(id)) return null;
  const upstreams: Upstream[] = [];
  for (const p of collectProxies(route.handle, [])) {
    const transport = (p.transport ?? {}) as Json;
    const scheme = transport.tls ? "https" : "http";
    for (const u of (p.upstreams ?? []) as Json[]) {
      const parsed = typeof u.dial === "string" ? parseDial(u.dial, scheme) : null;
      if (parsed) upstreams.push(parsed);
    }
  }
  return { id, hosts: routeHosts(route), upstreams, installation: installationOfRouteGroup(route.group) };
}

function portOf(listen: string): number | null {
  const i = listen.lastIndexOf(":");
  const port = Number.parseInt(listen.slice(i + 1), 10);
  return i === -1 || Number.isNaN(port) ? null : port;
}

/**
 * Caddy has no per-route "force TLS": HTTP→HTTPS redirects are a server-level
 * part of automatic HTTPS, applied to every host in the server's host
 * matchers. So forced TLS is honoured natively when that is active and is
 * refused (before any write) when the server cannot serve TLS at all. A
 * hand-made 308 route would loop forever on a plain-HTTP-only server.
 */
export function forceTlsProblem(serverName: string, server: Json, httpPort = 80): string | null {
  const auto = (server.automatic_https ?? {}) as Json;
  const where = `Caddy server '${serverName}'`;
  if (auto.disable === true) {
    return `${where} has automatic HTTPS disabled (automatic_https.disable), so it cannot force TLS; enable automatic HTTPS on it or turn off forced TLS for this route`;
  }
  if (auto.disable_redirects === true) {
    return `${where} has HTTP-to-HTTPS redirects disabled (automatic_https.disable_redirects), so it cannot force TLS; turn off forced TLS for this route`;
  }
  const listen = Array.isArray(server.listen) ? (server.listen as string[]) : [];
  const ports = listen.map(portOf);
  if (ports.length > 0 && ports.every((p) => p === httpPort)) {
    return `${where} listens only on the HTTP port ${httpPort}, so it cannot force TLS; turn off forced TLS for this route`;
  }
  return null;
}

/** Structural equality, independent of key order (Caddy re-serialises JSON with sorted keys). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Json;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}
