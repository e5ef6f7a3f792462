import { db } from "../db";
import { getRuntime } from "../docker";
import { waitHealthy } from "../docker/wait-healthy";
import { errorMessage } from "../errors";
import { instanceFqdn, routeId } from "../naming";
import { findOrphanContainers, findOrphanRoutes } from "./find-orphans";
import { getProxyProvider } from "../proxy";
import type { ProxyRoute, RouteSpec, Upstream } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { probeFor, upstreamFor } from "../deployer/container-plan";
import { ensureInstanceRoute } from "../deployer/instance-route";
import { transitionInstance } from "../deployer/transition-instance";
import { proxyRouteSpec, rowShape } from "../proxies/route-spec";
import type { OrphanContainer, OrphanRoute, ReportLine } from "./report";

export interface InfraResult {
  containers: { restarted: number; failed: number };
  routes: { repaired: number; failed: number };
  orphans: { containers: OrphanContainer[]; routes: OrphanRoute[] };
  lines: ReportLine[];
}

const sameUpstream = (a: Upstream, b: Upstream) => a.scheme === b.scheme && a.host === b.host && a.port === b.port;

/**
 * Containers and routes against the database (SPEC §9): a `running` instance
 * whose container stopped is started again; a missing or drifted Wharf route
 * is pushed again (e.g. after a Caddy restart); labelled containers and
 * `wharf-` routes without a row are reported as orphans, never removed here.
 */
export async function reconcileInfrastructure(opts: { settings: TSettings; dryRun: boolean }): Promise<InfraResult> {
  const { settings, dryRun } = opts;
  const res: InfraResult = { containers: { restarted: 0, failed: 0 }, routes: { repaired: 0, failed: 0 }, orphans: { containers: [], routes: [] }, lines: [] };
  const rt = getRuntime();
  const instances = await db.instance.findMany();
  const ids = new Set(instances.map((i) => i.id));
  const desired = new Map<string, RouteSpec>();

  const ping = await rt.ping();
  if (!ping.ok) {
    res.lines.push({ kind: "container", name: "docker", action: "restart", status: "failed", message: `Docker unreachable: ${ping.message ?? "no answer"}` });
  } else {
    for (const inst of instances.filter((i) => i.status === "running")) {
      let info = inst.containerId ? await rt.inspectContainer(inst.containerId) : null;
      if (!info) {
        res.containers.failed++;
        res.lines.push({ kind: "container", name: inst.name, action: "restart", status: dryRun ? "planned" : "failed", message: "its container is gone: redeploy it" });
        if (!dryRun) await transitionInstance(inst.id, "container_died", { error: "the container disappeared; redeploy the instance" }).catch(() => undefined);
        continue;
      }
      if (info.state !== "running") {
        if (dryRun) {
          res.lines.push({ kind: "container", name: inst.name, action: "restart", status: "planned", message: `container is ${info.state}` });
        } else {
          try {
            await rt.startContainer(info.id);
            const started = (await rt.inspectContainer(info.id)) ?? info;
            info = (await waitHealthy({ runtime: rt, containerId: info.id, probe: probeFor(settings, started, inst), timeoutMs: 30_000 })).container;
            res.containers.restarted++;
            res.lines.push({ kind: "container", name: inst.name, action: "restart", status: "ok", message: "container was stopped: started again" });
          } catch (err) {
            res.containers.failed++;
            res.lines.push({ kind: "container", name: inst.name, action: "restart", status: "failed", message: errorMessage(err) });
            continue;
          }
        }
      }
      if (info.state === "running" || !dryRun) {
        try {
          const upstream = upstreamFor(settings, info, inst.port);
          desired.set(routeId("instance", inst.id), { id: routeId("instance", inst.id), consumer: { type: "instance", id: inst.id }, hosts: [instanceFqdn(inst.subdomain, settings.baseDomain)], upstream, websockets: true });
        } catch {
          // No published port yet (container restarting): the route is checked next run.
        }
      }
    }
    for (const c of await findOrphanContainers(ids)) {
      res.orphans.containers.push(c);
      res.lines.push({ kind: "container", name: c.name, action: "orphan", status: "skipped", message: "labelled wharf.managed but no instance row" });
    }
  }

  const provider = getProxyProvider(settings);
  if (!provider) return res;
  for (const p of await db.standaloneProxy.findMany()) desired.set(routeId("standalone", p.id), proxyRouteSpec(rowShape(p)));
  let routes: ProxyRoute[];
  try {
    routes = await provider.listRoutes();
  } catch (err) {
    res.routes.failed++;
    res.lines.push({ kind: "route", name: provider.type, action: "route", status: "failed", message: errorMessage(err) });
    return res;
  }
  const have = new Map(routes.map((r) => [r.id, r]));
  for (const [id, spec] of desired) {
    const r = have.get(id);
    const ok = r && r.hosts.join(",") === spec.hosts.join(",") && r.upstreams.length === 1 && sameUpstream(r.upstreams[0], spec.upstream);
    if (ok) continue;
    const what = r ? "drifted: pushed again" : "missing: re-created";
    if (dryRun) {
      res.lines.push({ kind: "route", name: spec.hosts[0], action: "route", status: "planned", message: what });
      continue;
    }
    try {
      if (spec.consumer.type === "instance") {
        await ensureInstanceRoute({ instance: { id: spec.consumer.id, subdomain: instances.find((i) => i.id === spec.consumer.id)!.subdomain }, upstream: spec.upstream, settings });
        await db.instance.update({ where: { id: spec.consumer.id }, data: { routeStatus: "active", routeError: null } });
      } else {
        await provider.ensureRoute(spec);
        await db.standaloneProxy.update({ where: { id: spec.consumer.id }, data: { routeStatus: "active", routeError: null } });
      }
      res.routes.repaired++;
      res.lines.push({ kind: "route", name: spec.hosts[0], action: "route", status: "ok", message: what });
    } catch (err) {
      res.routes.failed++;
      res.lines.push({ kind: "route", name: spec.hosts[0], action: "route", status: "failed", message: errorMessage(err) });
    }
  }
  const proxyIds = new Set((await db.standaloneProxy.findMany({ select: { id: true } })).map((p) => p.id));
  for (const o of findOrphanRoutes(routes, ids, proxyIds)) {
    res.orphans.routes.push(o);
    res.lines.push({ kind: "route", name: o.id, action: "orphan", status: "skipped", message: `Wharf route for ${o.hosts.join(", ")} without a row` });
  }
  return res;
}
