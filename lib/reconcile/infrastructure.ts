import { db } from "../db";
import { getRuntime } from "../docker";
import { errorMessage } from "../errors";
import { parseRouteId, type ConsumerRef } from "../naming";
import { ConsumerLease, heldConsumerLeases, holderOperation } from "../consumers/consumer-lease";
import { existingOwners, findOrphanContainers, findOrphanRoutes } from "./find-orphans";
import { getProxyProvider } from "../proxy";
import type { TSettings } from "../settings/schemas";
import { proxyRouteSpec, rowShape } from "../standalone-proxies/route-spec";
import { routeTls } from "../tls/consumer-tls";
import { repairInstance } from "./repair-instance";
import { RouteView } from "./route-view";
import type { OrphanContainer, OrphanRoute, OrphanVolume, ReportLine, SkippedConsumer } from "./report";
import { listUnattachedVolumes } from "../deployer/instance-volumes";
import { ensureManagedProxy } from "../managed-proxy/ensure-managed-proxy";
import { managedContainerName } from "../proxy/managed-caddy";

export interface InfraResult {
  containers: { restarted: number; failed: number };
  routes: { repaired: number; failed: number };
  orphans: { containers: OrphanContainer[]; routes: OrphanRoute[]; volumes: OrphanVolume[] };
  skipped: SkippedConsumer[];
  lines: ReportLine[];
}

/**
 * Containers and routes against the database (SPEC §9, §13). Each consumer
 * is repaired on its own, under its consumer lease, from a fresh read
 * (repairInstance); a consumer another operation holds is skipped and
 * reported, never waited for. Labelled containers and `wharf-` routes
 * without a row are reported as orphans (unless an operation holds their
 * consumer: a create writes the route before the row), never removed here.
 */
export async function reconcileInfrastructure(opts: { settings: TSettings; dryRun: boolean }): Promise<InfraResult> {
  const { settings, dryRun } = opts;
  const res: InfraResult = { containers: { restarted: 0, failed: 0 }, routes: { repaired: 0, failed: 0 }, orphans: { containers: [], routes: [], volumes: [] }, skipped: [], lines: [] };
  const rt = getRuntime();
  await keepManagedProxy(settings, dryRun, res);
  const provider = getProxyProvider(settings);
  let routes: RouteView | null = null;
  if (provider) {
    try {
      routes = await RouteView.list(provider);
    } catch (err) {
      res.routes.failed++;
      res.lines.push({ kind: "route", name: provider.type, action: "route", status: "failed", message: errorMessage(err) });
    }
  }

  /** Runs `fn` under the consumer's lease, or records the consumer as skipped. */
  const underLease = async (consumer: ConsumerRef, name: string, kind: ReportLine["kind"], fn: () => Promise<void>) => {
    const lease = await ConsumerLease.tryAcquire(consumer, "sync");
    if (!(lease instanceof ConsumerLease)) {
      const reason = `busy: ${holderOperation(lease.busy)}`;
      res.skipped.push({ consumer: `${consumer.type}:${consumer.id}`, name, reason });
      res.lines.push({ kind, name, action: "skip", status: "skipped", message: `${reason}: left to the running operation` });
      return;
    }
    lease.heartbeat();
    try {
      await fn();
    } finally {
      await lease.release();
    }
  };

  const ping = await rt.ping();
  if (!ping.ok) {
    res.lines.push({ kind: "container", name: "docker", action: "restart", status: "failed", message: `Docker unreachable: ${ping.message ?? "no answer"}` });
  } else {
    for (const inst of await db.instance.findMany({ select: { id: true, name: true } })) {
      await underLease({ type: "instance", id: inst.id }, inst.name, "container", () => repairInstance({ id: inst.id, settings, dryRun, routes, res }));
    }
  }

  if (provider && routes) {
    for (const p of await db.standaloneProxy.findMany({ select: { id: true, domain: true } })) {
      await underLease({ type: "standalone", id: p.id }, p.domain, "route", async () => {
        const row = await db.standaloneProxy.findUnique({ where: { id: p.id } });
        if (!row) return;
        const spec = proxyRouteSpec({ ...rowShape(row), tls: routeTls(settings, row) });
        const drift = await routes.drift(spec, row.updatedAt);
        if (!drift) return;
        if (dryRun) return void res.lines.push({ kind: "route", name: row.domain, action: "route", status: "planned", message: drift });
        try {
          await provider.ensureRoute(spec);
          await db.standaloneProxy.update({ where: { id: row.id }, data: { routeStatus: "active", routeError: null } });
          res.routes.repaired++;
          res.lines.push({ kind: "route", name: row.domain, action: "route", status: "ok", message: drift });
        } catch (err) {
          res.routes.failed++;
          res.lines.push({ kind: "route", name: row.domain, action: "route", status: "failed", message: errorMessage(err) });
        }
      });
    }
  }

  // Orphans last. Order matters: what exists is listed first, then who holds leases, then the rows, so
  // a consumer being created (route before row) or removed is held or has its row by the time it is looked up.
  const containers = ping.ok
    ? await rt.listManagedContainers().catch((err: unknown) => {
        res.containers.failed++;
        res.lines.push({ kind: "container", name: "docker", action: "orphan", status: "failed", message: errorMessage(err) });
        return null;
      })
    : null;
  const fresh = provider && routes
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
  for (const o of fresh ? findOrphanRoutes(fresh, instanceIds, proxyIds) : []) {
    const owner = parseRouteId(o.id);
    if (owner && held.has(`${owner.type}:${owner.id}`)) continue;
    res.orphans.routes.push(o);
    res.lines.push({ kind: "route", name: o.id, action: "orphan", status: "skipped", message: `Wharf route for ${o.hosts.join(", ")} without a row` });
  }
  // Kept volumes hold data: reported, never deleted by a sync (the operator deletes them under Instances → Volumes).
  if (containers) {
    try {
      for (const v of await listUnattachedVolumes()) {
        res.orphans.volumes.push({ name: v.name, instanceId: v.createdFor });
        res.lines.push({ kind: "volume", name: v.name, action: "orphan", status: "skipped", message: "Wharf volume no instance mounts (kept after a removal)" });
      }
    } catch (err) {
      res.lines.push({ kind: "volume", name: "volumes", action: "orphan", status: "failed", message: errorMessage(err) });
    }
  }
  return res;
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
