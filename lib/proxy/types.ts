import type { ConsumerType } from "../naming";

/** Where a route sends traffic. */
export interface Upstream {
  scheme: "http" | "https";
  host: string;
  port: number;
}

/** The desired route of one proxy consumer. `id` comes from naming.routeId(). */
export interface RouteSpec {
  id: string;
  consumer: { type: ConsumerType; id: string };
  /** Normalised FQDNs (lower-case, no trailing dot). */
  hosts: string[];
  upstream: Upstream;
  websockets?: boolean;
  forceTls?: boolean;
}

/** A route as the provider shows it; only Wharf's own are returned by listRoutes(). */
export interface ProxyRoute {
  id: string;
  hosts: string[];
  upstreams: Upstream[];
  /** Provider-side handle (NPM proxy-host id); absent for Caddy, whose handle is `id`. */
  providerId?: string;
}

export interface ConnectionResult {
  ok: boolean;
  message: string;
}

/**
 * A reverse proxy Wharf drives (SPEC §7). Every method is idempotent
 * (SPEC §4.4) and checks its own writes by reading back (§4.6).
 */
export interface ProxyProvider {
  readonly type: "caddy" | "npm";
  /** Create or replace the route with `spec.id` so that it equals `spec`; one provider write. */
  ensureRoute(spec: RouteSpec): Promise<ProxyRoute>;
  /** Remove the route; removing a route that does not exist succeeds. Never touches routes that are not Wharf's. */
  removeRoute(id: string): Promise<void>;
  /** Wharf's own routes only (`@id` starting with `wharf-`, or the NPM equivalent marker). */
  listRoutes(): Promise<ProxyRoute[]>;
  testConnection(): Promise<ConnectionResult>;
}
