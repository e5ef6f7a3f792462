import { db } from "../db";
import { instanceFqdn, routeId } from "../naming";
import { getProxyProvider } from "../proxy";
import type { RouteSpec, Upstream } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { readTlsColumns, routeTls } from "../tls/consumer-tls";

export type RouteStatus = "active" | "not_configured";

/**
 * The hosts of an instance's route: its own FQDN, then its custom domains
 * marked routed (SPEC §14), read now. Every route write (deploy, switch,
 * repair, domain routing) goes through here, so redeploy and rollback keep
 * the custom hosts.
 */
export async function instanceRouteHosts(instance: { id: string; subdomain: string }, settings: TSettings): Promise<string[]> {
  const domains = await db.customDomain.findMany({ where: { instanceId: instance.id, routed: true }, select: { domain: true }, orderBy: { domain: "asc" } });
  return [instanceFqdn(instance.subdomain, settings.baseDomain), ...domains.map((d) => d.domain)];
}

/** Points the instance's route at `upstream` in one provider call; "not_configured" without a provider. Throws the provider's error. */
export async function ensureInstanceRoute(opts: { instance: { id: string; subdomain: string }; upstream: Upstream; upstreams?: Upstream[]; settings: TSettings }): Promise<RouteStatus> {
  const provider = getProxyProvider(opts.settings);
  if (!provider) return "not_configured";
  // Re-read: whether the redirect applies depends on the certificate as recorded now.
  const tlsRow = await readTlsColumns({ type: "instance", id: opts.instance.id });
  const hosts = await instanceRouteHosts(opts.instance, opts.settings);
  await provider.ensureRoute(instanceRouteSpec({ instanceId: opts.instance.id, hosts, upstream: opts.upstream, upstreams: opts.upstreams, tls: tlsRow ? routeTls(opts.settings, tlsRow) : undefined }));
  return "active";
}

/** The route an instance has: `hosts` (instanceRouteHosts) to `upstream`, websockets on; the one shape every route write and drift check compares. */
export function instanceRouteSpec(opts: { instanceId: string; hosts: string[]; upstream: Upstream; upstreams?: Upstream[]; tls?: RouteSpec["tls"] }): RouteSpec {
  return { id: routeId("instance", opts.instanceId), consumer: { type: "instance", id: opts.instanceId }, hosts: opts.hosts, upstream: opts.upstream, ...(opts.upstreams?.length ? { upstreams: opts.upstreams } : {}), websockets: true, tls: opts.tls };
}

/** Idempotent; a no-op without a provider. */
export async function removeInstanceRoute(opts: { instanceId: string; settings: TSettings }): Promise<void> {
  const provider = getProxyProvider(opts.settings);
  if (provider) await provider.removeRoute(routeId("instance", opts.instanceId));
}
