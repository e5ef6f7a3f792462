import { db } from "../db";
import { getRuntime, type ContainerRuntime } from "../docker";
import { pingServers } from "../servers/fleet";
import { errorMessage } from "../errors";
import { LABEL_INSTANCE, LABEL_MANAGED, labelOwner, parseRouteId } from "../naming";
import { installationId } from "../secrets";
import { swarmOfServer } from "../servers/cluster";
import { heldConsumerLeases } from "../consumers/consumer-lease";
import { existingOwners, findOrphanContainers, findOrphanRoutes } from "./find-orphans";
import { getProxyProvider } from "../proxy";
import type { ProxyProvider } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { proxyRouteSpec, rowShape } from "../standalone-proxies/route-spec";
import { routeTls } from "../tls/consumer-tls";
import { pushRoute } from "./push-route";
import { repairInstance } from "./repair-instance";
import { stopStrayContainers } from "./stop-strays";
import type { InstanceRepair } from "./report";
import { RouteView } from "./route-view";
import type { OrphanContainer, OrphanRoute, OrphanVolume, SkippedConsumer } from "./report";
import { underLease } from "./under-lease";
import { listUnattachedVolumes } from "../deployer/instance-volumes";
import { ensureManagedProxy } from "../managed-proxy/ensure-managed-proxy";
import { managedContainerName } from "../proxy/managed-caddy";

export interface InfraResult extends InstanceRepair {
  orphans: { containers: OrphanContainer[]; routes: OrphanRoute[]; volumes: OrphanVolume[] };
  skipped: SkippedConsumer[];
}

/**
 * Containers and routes against the database (SPEC §9, §13). Each consumer
 * is repaired on its own, under its consumer lease, from a fresh read
 * (repairInstance, repairProxyRoute); a consumer another operation holds is
 * skipped and reported, never waited for. Labelled containers and `wharf-`
 * routes without a row are reported as orphans (unless an operation holds
 * their consumer: a create writes the route before the row), never removed here.
 */
export async function reconcileInfrastructure(opts: { settings: TSettings; dryRun: boolean }): Promise<InfraResult> {
  const { settings, dryRun } = opts;
  const res: InfraResult = { containers: { restarted: 0, failed: 0 }, routes: { repaired: 0, failed: 0 }, orphans: { containers: [], routes: [], volumes: [] }, skipped: [], lines: [] };
  await keepManagedProxy(settings, dryRun, res);
  const provider = getProxyProvider(settings);
  const routes = provider ? await listRouteView(provider, res) : null;
  // Every server at once, each under its own deadline: one that does not answer stalls none of the others.
  const servers = await pingServers();
  for (const down of servers.filter((s) => !s.ok)) {
    const message = down.id ? `server ${down.name} unreachable: ${down.message ?? "no answer"}; its instances are left as they are` : `Docker unreachable: ${down.message ?? "no answer"}`;
    res.lines.push({ kind: "container", name: down.id ? `server ${down.name}` : "docker", action: "restart", status: "failed", message });
  }
  const up = new Set(servers.filter((s) => s.ok).map((s) => s.id));
  if (up.size) await repairInstances({ settings, dryRun, routes, res, up });
  // After a move whose old server did not answer: its container still runs there.
  await stopStrayContainers({ servers: servers.flatMap((s) => (s.ok && s.rt ? [{ id: s.id, name: s.name, rt: s.rt }] : [])), settings, dryRun, res });
  if (provider && routes) await repairProxyRoutes({ settings, dryRun, provider, routes, res });
  await reportOrphans({ runtimes: servers.flatMap((s) => (s.ok && s.rt ? [s.rt] : [])), complete: servers.every((s) => s.ok), provider: provider && routes ? provider : null, res });
  await reportOrphanServices(servers.flatMap((s) => (s.ok && s.id ? [s.id] : [])), res);
  return res;
}

/** Swarm services of this installation that no instance row names (issue 28): reported, never removed. */
async function reportOrphanServices(upServerIds: string[], res: InfraResult): Promise<void> {
  for (const server of await db.server.findMany({ where: { id: { in: upServerIds }, kind: "swarm" } })) {
    try {
      const services = (await swarmOfServer(server).listManagedServices()).filter((svc) => labelOwner(svc.labels, installationId()) === "mine");
      const ids = services.map((svc) => svc.labels[LABEL_INSTANCE]).filter((id): id is string => !!id);
      const known = new Set((await db.instance.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((r) => r.id));
      for (const svc of services) {
        if (svc.labels[LABEL_INSTANCE] && known.has(svc.labels[LABEL_INSTANCE])) continue;
        res.lines.push({ kind: "container", name: svc.name, action: "orphan", status: "skipped", message: `Swarm service on ${server.name} labelled ${LABEL_MANAGED} but no instance row: left as it is` });
      }
    } catch (err) {
      res.lines.push({ kind: "container", name: `server ${server.name}`, action: "orphan", status: "failed", message: errorMessage(err) });
    }
  }
}

/** The proxy's routes as the repairs compare them; null (and a failed line) when the proxy cannot list them. */
async function listRouteView(provider: ProxyProvider, res: InfraResult): Promise<RouteView | null> {
  try {
    return await RouteView.list(provider);
  } catch (err) {
    res.routes.failed++;
    res.lines.push({ kind: "route", name: provider.type, action: "route", status: "failed", message: errorMessage(err) });
    return null;
  }
}

/** Every instance repaired under its lease (repairInstance), its outcome added to the pass's. */
async function repairInstances(o: { settings: TSettings; dryRun: boolean; routes: RouteView | null; res: InfraResult; up: Set<string | null> }): Promise<void> {
  for (const inst of await db.instance.findMany({ select: { id: true, name: true, serverId: true } })) {
    if (!o.up.has(inst.serverId)) continue;
    await underLease({ consumer: { type: "instance", id: inst.id }, name: inst.name, kind: "container", report: o.res }, async () => {
      const repair = await repairInstance({ id: inst.id, settings: o.settings, dryRun: o.dryRun, routes: o.routes });
      o.res.containers.restarted += repair.containers.restarted;
      o.res.containers.failed += repair.containers.failed;
      o.res.routes.repaired += repair.routes.repaired;
      o.res.routes.failed += repair.routes.failed;
      o.res.lines.push(...repair.lines);
    });
  }
}

type RouteRepair = { settings: TSettings; dryRun: boolean; provider: ProxyProvider; routes: RouteView; res: InfraResult };

async function repairProxyRoutes(o: RouteRepair): Promise<void> {
  for (const p of await db.standaloneProxy.findMany({ select: { id: true, domain: true } })) {
    await underLease({ consumer: { type: "standalone", id: p.id }, name: p.domain, kind: "route", report: o.res }, () => repairProxyRoute(p.id, o));
  }
}

/** A standalone proxy's route, missing or drifted from its row (read under its lease), pushed again. */
async function repairProxyRoute(id: string, o: RouteRepair): Promise<void> {
  const { res } = o;
  const row = await db.standaloneProxy.findUnique({ where: { id } });
  if (!row) return;
  const drift = await o.routes.drift(proxyRouteSpec({ ...rowShape(row), tls: routeTls(o.settings, row) }), row.updatedAt);
  if (!drift) return;
  if (o.dryRun) return void res.lines.push({ kind: "route", name: row.domain, action: "route", status: "planned", message: drift });
  try {
    await pushRoute({ type: "standalone", id: row.id }, o.settings, o.provider);
    await db.standaloneProxy.update({ where: { id: row.id }, data: { routeStatus: "active", routeError: null } });
    res.routes.repaired++;
    res.lines.push({ kind: "route", name: row.domain, action: "route", status: "ok", message: drift });
  } catch (err) {
    res.routes.failed++;
    res.lines.push({ kind: "route", name: row.domain, action: "route", status: "failed", message: errorMessage(err) });
  }
}

/**
 * Orphans, last. Order matters: what exists is listed first, then who holds
 * leases, then the rows, so a consumer being created (route before row) or
 * removed is held or has its row by the time it is looked up.
 */
async function reportOrphans(o: { runtimes: ContainerRuntime[]; complete: boolean; provider: ProxyProvider | null; res: InfraResult }): Promise<void> {
  const { provider, res } = o;
  const lists = await Promise.all(
    o.runtimes.map((rt) =>
      rt.listManagedContainers().catch((err: unknown) => {
        res.containers.failed++;
        res.lines.push({ kind: "container", name: "docker", action: "orphan", status: "failed", message: errorMessage(err) });
        return null;
      }),
    ),
  );
  const containers = lists.some((l) => l !== null) ? lists.flatMap((l) => l ?? []) : null;
  const fresh = provider
    ? await provider.listRoutes().catch((err: unknown) => {
        res.routes.failed++;
        res.lines.push({ kind: "route", name: provider.type, action: "orphan", status: "failed", message: errorMessage(err) });
        return null;
      })
    : null;
  const held = await heldConsumerLeases();
  const { instanceIds, proxyIds } = await existingOwners(containers ?? [], fresh ?? []);
  for (const c of containers ? findOrphanContainers(containers, instanceIds) : []) {
    if (c.instanceId && held.has(`instance:${c.instanceId}`)) continue;
    res.orphans.containers.push(c);
    res.lines.push({ kind: "container", name: c.name, action: "orphan", status: "skipped", message: "labelled wharf.managed but no instance row" });
  }
  for (const r of fresh ? findOrphanRoutes(fresh, instanceIds, proxyIds) : []) {
    const owner = parseRouteId(r.id);
    if (owner && held.has(`${owner.type}:${owner.id}`)) continue;
    res.orphans.routes.push(r);
    res.lines.push({ kind: "route", name: r.id, action: "orphan", status: "skipped", message: `Wharf route for ${r.hosts.join(", ")} without a row` });
  }
  if (containers && o.complete) await reportKeptVolumes(res);
}

/** Kept volumes hold data: reported, never deleted by a sync (the operator deletes them under Instances → Volumes). */
async function reportKeptVolumes(res: InfraResult): Promise<void> {
  try {
    const kept = await listUnattachedVolumes();
    for (const v of kept.volumes) {
      res.orphans.volumes.push({ name: v.name, instanceId: v.createdFor, server: v.server });
      res.lines.push({ kind: "volume", name: v.name, action: "orphan", status: "skipped", message: `Wharf volume no instance mounts (kept after a removal), on server ${v.server}` });
    }
    for (const u of kept.unavailable) res.lines.push({ kind: "volume", name: `volumes on ${u.server}`, action: "orphan", status: "failed", message: u.error });
  } catch (err) {
    res.lines.push({ kind: "volume", name: "volumes", action: "orphan", status: "failed", message: errorMessage(err) });
  }
}

/**
 * Wharf's own Caddy (issue 24) is running before routes are compared: one
 * that stopped is started, one removed by hand is created again (with its
 * config but no routes), and the route pass below then finds every route
 * missing and pushes it again.
 */
async function keepManagedProxy(settings: TSettings, dryRun: boolean, res: InfraResult): Promise<void> {
  const config = settings.proxy.provider?.type === "managed" ? settings.proxy.provider : null;
  if (!config) return;
  const network = settings.proxy.upstream.mode === "network" ? settings.proxy.upstream.network : settings.docker.network;
  if (dryRun) {
    const c = await getRuntime().inspectContainer(managedContainerName()).catch(() => null);
    if (!c || c.state !== "running") res.lines.push({ kind: "container", name: managedContainerName(), action: "restart", status: "planned", message: c ? `Wharf's Caddy is ${c.state}: would be started` : "Wharf's Caddy is missing: would be created" });
    return;
  }
  try {
    const { action } = await ensureManagedProxy({ config, network });
    if (action === "unchanged") return;
    res.containers.restarted++;
    res.lines.push({ kind: "container", name: managedContainerName(), action: "restart", status: "ok", message: `Wharf's Caddy ${action}; its routes are pushed again` });
  } catch (err) {
    res.containers.failed++;
    res.lines.push({ kind: "container", name: managedContainerName(), action: "restart", status: "failed", message: errorMessage(err) });
  }
}
