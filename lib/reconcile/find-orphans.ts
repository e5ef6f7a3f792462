import { db } from "../db";
import { getRuntime } from "../docker";
import { errorMessage } from "../errors";
import { LABEL_INSTANCE, parseRouteId } from "../naming";
import { getProxyProvider } from "../proxy";
import type { ProxyRoute } from "../proxy/types";
import type { ContainerInfo } from "../docker/types";
import { getSettings } from "../settings/get-settings";
import type { OrphanContainer, OrphanRoute } from "./report";

/** Containers labelled wharf.managed whose instance row does not exist. */
export function findOrphanContainers(containers: ContainerInfo[], instanceIds: Set<string>): OrphanContainer[] {
  return containers
    .filter((c) => !c.labels[LABEL_INSTANCE] || !instanceIds.has(c.labels[LABEL_INSTANCE]))
    .map((c) => ({ id: c.id, name: c.name, instanceId: c.labels[LABEL_INSTANCE] ?? null, state: c.state }));
}

/** Wharf routes (`wharf-` ids) whose consumer row does not exist. */
export function findOrphanRoutes(routes: ProxyRoute[], instanceIds: Set<string>, proxyIds: Set<string>): OrphanRoute[] {
  return routes
    .filter((r) => {
      const owner = parseRouteId(r.id);
      return !owner || !(owner.type === "instance" ? instanceIds.has(owner.id) : proxyIds.has(owner.id));
    })
    .map((r) => ({ id: r.id, hosts: r.hosts }));
}

/** Live orphan list for the UI; an unreachable engine or provider is reported, not thrown. */
export async function listOrphans(): Promise<{ containers: OrphanContainer[]; routes: OrphanRoute[]; errors: string[] }> {
  const [instances, proxies, settings] = await Promise.all([db.instance.findMany({ select: { id: true } }), db.standaloneProxy.findMany({ select: { id: true } }), getSettings()]);
  const instanceIds = new Set(instances.map((i) => i.id));
  const proxyIds = new Set(proxies.map((p) => p.id));
  const errors: string[] = [];
  // Ping first (short timeout) so a dead engine costs the page seconds, not a list call's full timeout.
  const ping = await getRuntime().ping();
  if (!ping.ok) errors.push(`Docker unreachable: ${ping.message ?? "no answer"}`);
  const containers = ping.ok ? await getRuntime().listManagedContainers().then((list) => findOrphanContainers(list, instanceIds)).catch((err) => (errors.push(`Docker: ${errorMessage(err)}`), [])) : [];
  const provider = getProxyProvider(settings);
  const routes = provider ? await provider.listRoutes().then((r) => findOrphanRoutes(r, instanceIds, proxyIds), (err) => (errors.push(`Proxy: ${errorMessage(err)}`), [])) : [];
  return { containers, routes, errors };
}
