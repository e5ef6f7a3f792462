import type { ConsumerType } from "../naming";
import type { TTlsSettings } from "../settings/schemas";

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
  /**
   * Several upstreams balanced round-robin, `upstream` first (a Swarm
   * service's tasks, issue 28). A request that cannot connect is retried on
   * another one and the failed upstream is left alone for a while, so a task
   * that dies stops receiving requests before Swarm replaces it. Caddy only:
   * NPM forwards to one address.
   */
  upstreams?: Upstream[];
  websockets?: boolean;
  forceTls?: boolean;
  /**
   * HTTPS for the hosts (absent: plain HTTP, the proxy gets no certificate
   * policy). `redirect`/`hsts` are what to apply now: the caller sets them
   * only once the consumer's certificate is issued, so HTTP keeps serving
   * until then (Caddy; NPM takes a host that serves the names out of nginx
   * while certbot runs for them: see npm-cert.ts).
   */
  tls?: RouteTls;
}

export interface RouteTls {
  issuer: { mode: "acme" | "internal"; acme: TTlsSettings["acme"] };
  redirect: boolean;
  hsts: boolean;
}

/** The certificate a proxy serves for one host, as a TLS handshake with that SNI shows it. */
export type CertificateCheck =
  | { status: "issued"; issuer: string; notAfter: Date; names: string[] }
  | { status: "pending"; error: string }
  /** `final`: retrying cannot help until the operator changes something (the proxy cannot serve HTTPS at all). */
  | { status: "failed"; error: string; final?: boolean };

/** A route as the provider shows it; only Wharf's own are returned by listRoutes(). */
export interface ProxyRoute {
  id: string;
  hosts: string[];
  upstreams: Upstream[];
  /** Provider-side handle (NPM proxy-host id); absent for Caddy, whose handle is `id`. */
  providerId?: string;
  /**
   * The Wharf installation the route says it belongs to (Caddy: the route's
   * group), null for a route from before installations were recorded;
   * absent where the provider records none (NPM).
   */
  installation?: string | null;
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
  /** Confirms the certificate served for `host` (SPEC §7): issuer, names and expiry, by a handshake with SNI = host. */
  inspectCertificate(host: string, issuer: RouteTls["issuer"]): Promise<CertificateCheck>;
  /** Asks the proxy to try obtaining the route's certificate again now, instead of at its own next retry. */
  retryCertificate(routeId: string): Promise<void>;
}
