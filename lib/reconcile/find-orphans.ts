import { db, jsonChunks, jsonValues, rawSql } from "../db";
import { getRuntime } from "../docker";
import { errorMessage } from "../errors";
import { LABEL_INSTANCE, labelOwner, parseRouteId } from "../naming";
import { installationId } from "../secrets";
import { getProxyProvider } from "../proxy";
import type { ProxyRoute } from "../proxy/types";
import type { ContainerInfo } from "../docker/types";
import { getSettings } from "../settings/get-settings";
import type { OrphanContainer, OrphanRoute } from "./report";

/**
 * This installation's containers (wharf.installation) whose instance row does
 * not exist. Another installation's are never orphans here, and neither are
 * containers from before the label: they are this installation's only where
 * one of its rows names them, and then they are not orphans.
 */
export function findOrphanContainers(containers: ContainerInfo[], instanceIds: Set<string>, installation = installationId()): OrphanContainer[] {
  return containers
    .filter((c) => labelOwner(c.labels, installation) === "mine")
    .filter((c) => !c.labels[LABEL_INSTANCE] || !instanceIds.has(c.labels[LABEL_INSTANCE]))
    .map((c) => ({ id: c.id, name: c.name, instanceId: c.labels[LABEL_INSTANCE] ?? null, state: c.state }));
}

/**
 * Wharf routes (`wharf-` ids) whose consumer row does not exist, among this
 * installation's: a route naming another installation, or none on a provider
 * that records it (a Caddy route from before the group), is not an orphan.
 */
export function findOrphanRoutes(routes: ProxyRoute[], instanceIds: Set<string>, proxyIds: Set<string>, installation = installationId()): OrphanRoute[] {
  return routes
    .filter((r) => r.installation === undefined || r.installation === installation)
    .filter((r) => {
      const owner = parseRouteId(r.id);
      return !owner || !(owner.type === "instance" ? instanceIds.has(owner.id) : proxyIds.has(owner.id));
    })
    .map((r) => ({ id: r.id, hosts: r.hosts }));
}

/** Which of `ids` exist in `table`: one indexed probe per id, not a read of the whole table (the dashboard calls this). */
async function existingIds(table: "Instance" | "StandaloneProxy", ids: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const json of jsonChunks([...new Set(ids)])) {
    const rows = await db.$queryRawUnsafe<{ id: string }[]>(rawSql(`SELECT "id" FROM "${table}" WHERE "id" IN (${jsonValues()})`), json);
    for (const r of rows) out.add(r.id);
  }
  return out;
}

/**
 * The consumers that these containers and routes name and that have a row:
 * only those are looked up, so finding orphans costs the number of
 * containers and routes, not a read of 100,000 consumer ids.
 */
export async function existingOwners(containers: ContainerInfo[], routes: ProxyRoute[]): Promise<{ instanceIds: Set<string>; proxyIds: Set<string> }> {
  const owners = routes.map((r) => parseRouteId(r.id)).filter((o) => o !== null);
  const [instanceIds, proxyIds] = await Promise.all([
    existingIds("Instance", [...containers.map((c) => c.labels[LABEL_INSTANCE]).filter((id): id is string => !!id), ...owners.filter((o) => o.type === "instance").map((o) => o.id)]),
    existingIds("StandaloneProxy", owners.filter((o) => o.type !== "instance").map((o) => o.id)),
  ]);
  return { instanceIds, proxyIds };
}

/** Live orphan list for the UI; an unreachable engine or provider is reported, not thrown. */
export async function listOrphans(): Promise<{ containers: OrphanContainer[]; routes: OrphanRoute[]; errors: string[] }> {
  const settings = await getSettings();
  const errors: string[] = [];
  // Ping first (short timeout) so a dead engine costs the page seconds, not a list call's full timeout.
  const ping = await getRuntime().ping();
  if (!ping.ok) errors.push(`Docker unreachable: ${ping.message ?? "no answer"}`);
  const provider = getProxyProvider(settings);
  const [containerList, routeList] = await Promise.all([
    ping.ok ? getRuntime().listManagedContainers().catch((err: unknown) => (errors.push(`Docker: ${errorMessage(err)}`), [] as ContainerInfo[])) : ([] as ContainerInfo[]),
    provider ? provider.listRoutes().catch((err: unknown) => (errors.push(`Proxy: ${errorMessage(err)}`), [] as ProxyRoute[])) : ([] as ProxyRoute[]),
  ]);
  const { instanceIds, proxyIds } = await existingOwners(containerList, routeList);
  return { containers: findOrphanContainers(containerList, instanceIds), routes: findOrphanRoutes(routeList, instanceIds, proxyIds), errors };
}
