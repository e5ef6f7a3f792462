import { db } from "../db";
import { errorMessage } from "../errors";
import type { Instance } from "../generated/prisma/client";
import { isBusy } from "../lifecycle/states";
import { parseInstanceState } from "../lifecycle/transition";
import { parseImageRef } from "../image-ref";
import { pullAuthFor } from "../registry/credentials-for";
import type { TSettings } from "../settings/schemas";
import type { SwarmRuntime } from "../swarm/types";
import { ensureInstanceRoute, instanceRouteHosts, instanceRouteSpec } from "../deployer/instance-route";
import { specOf } from "../deployer/runtime-spec";
import { taskUpstreams } from "../deployer/service-route";
import { placementOf, serviceName, serviceSpecFor } from "../deployer/service-spec";
import type { InstanceRepair } from "./report";
import type { RouteView } from "./route-view";

/**
 * One Swarm service's repair (issue 28), under the instance's lease, from
 * the row read now: a service removed by hand is created again from the row
 * (same digest, replicas and placement), one scaled by hand is scaled back,
 * a stopped instance's service is kept at zero tasks, and the route follows
 * the tasks that run (a node that went down took its tasks with it; Swarm
 * started them elsewhere, on other host ports).
 */
export async function repairService(opts: { inst: Instance; swarm: SwarmRuntime; settings: TSettings; dryRun: boolean; routes: RouteView | null; res: InstanceRepair }): Promise<void> {
  const { inst, swarm, settings, dryRun, res } = opts;
  const state = parseInstanceState(inst.status);
  if (isBusy(state) || (state !== "running" && state !== "stopped")) return;
  const name = serviceName(inst.name);
  const line = (kind: "container" | "route", action: "restart" | "route" | "stop", status: "ok" | "failed" | "planned", message: string) => res.lines.push({ kind, name: inst.name, action, status, message });
  const want = state === "stopped" ? 0 : inst.replicas;
  try {
    const service = await swarm.inspectService(name);
    if (!service && state === "running") {
      if (!inst.digest) return void line("container", "restart", "failed", `service ${name} is gone and no digest was recorded: redeploy it`);
      if (dryRun) return void line("container", "restart", "planned", `service ${name} is gone: would be created again`);
      const spec = serviceSpecFor({ instance: inst, deploymentId: "repair", image: `${parseImageRef(inst.image).name}@${inst.digest}`, spec: specOf(inst), replicas: inst.replicas, constraints: placementOf(inst), registryAuth: pullAuthFor(settings, inst.image) });
      await swarm.createService(spec);
      res.containers.restarted++;
      line("container", "restart", "ok", `service ${name} was gone: created again (${inst.replicas} replica${inst.replicas === 1 ? "" : "s"} of ${inst.digest})`);
    } else if (service && service.replicas !== want) {
      if (dryRun) return void line("container", "restart", "planned", `service ${name} has ${service.replicas} replicas, not ${want}: would be scaled back`);
      await swarm.scaleService(name, want);
      res.containers.restarted++;
      line("container", state === "stopped" ? "stop" : "restart", "ok", `service ${name} had ${service.replicas} replicas: scaled back to ${want}`);
    }
  } catch (err) {
    res.containers.failed++;
    return void line("container", "restart", "failed", errorMessage(err));
  }
  if (state === "running" && opts.routes) await followTasks({ ...opts, name, line });
}

/** The route on the tasks that run now; pushed when it drifted. */
async function followTasks(o: { inst: Instance; swarm: SwarmRuntime; settings: TSettings; dryRun: boolean; routes: RouteView | null; res: InstanceRepair; name: string; line: (kind: "route", action: "route", status: "ok" | "failed" | "planned", message: string) => void }): Promise<void> {
  const upstreams = taskUpstreams(await o.swarm.listTasks(o.name));
  if (!upstreams.length) return; // Starting (a fresh create): the next run routes it.
  const hosts = await instanceRouteHosts(o.inst, o.settings);
  const spec = instanceRouteSpec({ instanceId: o.inst.id, hosts, upstream: upstreams[0], upstreams });
  const drift = await o.routes!.drift(spec, o.inst.updatedAt);
  if (!drift) return;
  if (o.dryRun) return void o.line("route", "route", "planned", drift);
  try {
    await ensureInstanceRoute({ instance: o.inst, upstream: upstreams[0], upstreams, settings: o.settings });
    await db.instance.update({ where: { id: o.inst.id }, data: { routeStatus: "active", routeError: null } });
    o.res.routes.repaired++;
    o.line("route", "route", "ok", `${drift}: ${upstreams.map((u) => `${u.host}:${u.port}`).join(", ")}`);
  } catch (err) {
    o.res.routes.failed++;
    o.line("route", "route", "failed", errorMessage(err));
  }
}
