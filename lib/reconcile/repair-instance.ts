import { runtimeFor } from "../servers/server-runtime";
import { clusterOf } from "../servers/cluster";
import { repairService } from "./repair-service";
import { settingsFor } from "../servers/placement";
import { db } from "../db";
import { errorMessage } from "../errors";
import { isBusy } from "../lifecycle/states";
import { parseInstanceState } from "../lifecycle/transition";
import type { RouteSpec } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { upstreamFor } from "../deployer/container-plan";
import { startHealthy } from "../deployer/start-healthy";
import { deployTimeouts } from "../deployer/timeouts";
import { ensureInstanceRoute, instanceRouteHosts, instanceRouteSpec } from "../deployer/instance-route";
import { recoverHeldInstance } from "../deployer/recover-instances";
import { readRouteUpstream, targets } from "../deployer/route-target";
import { transitionInstance } from "../deployer/transition-instance";
import type { ContainerInfo, ContainerRuntime } from "../docker/types";
import type { Instance } from "../generated/prisma/client";
import type { InstanceState } from "../lifecycle/states";
import type { InstanceRepair, ReportLine } from "./report";
import type { RouteView } from "./route-view";


/**
 * One instance's repair. The caller holds the instance's consumer lease; the
 * row, the container and the route are all read here, under it (SPEC §13:
 * never from the sync's snapshot):
 * - a busy state whose lease was free is a dead job: recovered;
 * - `running`: a stopped container is started again, the route is put back
 *   on it if missing or drifted, and any other running container of the
 *   instance is stopped once the route is confirmed away from it;
 * - `stopped`/`failed`: containers left running are stopped (a stopped
 *   instance serves nothing).
 */
export async function repairInstance(opts: { id: string; settings: TSettings; dryRun: boolean; routes: RouteView | null }): Promise<InstanceRepair> {
  const res: InstanceRepair = { containers: { restarted: 0, failed: 0 }, routes: { repaired: 0, failed: 0 }, lines: [] };
  await repair({ ...opts, res });
  return res;
}

/** The repair's steps, each recording into the repair's own outcome as it goes. */
async function repair(opts: { id: string; settings: TSettings; dryRun: boolean; routes: RouteView | null; res: InstanceRepair }): Promise<void> {
  const { id, settings, dryRun, routes, res } = opts;
  const inst = await db.instance.findUnique({ where: { id } });
  if (!inst) return;
  const cluster = await clusterOf(inst);
  if (cluster) return repairService({ inst, swarm: cluster.swarm, settings, dryRun, routes, res });
  const state = parseInstanceState(inst.status);
  const line: Line = (kind, action, status, message, name = inst.name) => {
    res.lines.push({ kind, name, action, status, message });
  };
  const r: Repair = { id, port: inst.port, state, settings: await settingsFor(inst, settings), dryRun, res, rt: await runtimeFor(inst.serverId), line };

  if (isBusy(state)) return recoverDeadJob(r);
  if (state === "stopped" || state === "failed") return stopOthers(r, null);
  if (state !== "running") return;
  const info = await restartIfStopped(r, inst);
  if (!info) return;
  if (routes && !(await repairRoute(r, inst, info, routes))) return;
  await stopOthers(r, info.id);
}

/** A running instance's container, started again if it stopped; null when the repair ends here. */
async function restartIfStopped({ settings, dryRun, res, rt, line }: Repair, inst: Instance): Promise<ContainerInfo | null> {
  const info = inst.containerId ? await rt.inspectContainer(inst.containerId) : null;
  if (!info) {
    res.containers.failed++;
    line("container", "restart", dryRun ? "planned" : "failed", "its container is gone: redeploy it");
    if (!dryRun) {
      await transitionInstance(inst.id, "container_died", { error: "the container disappeared; redeploy the instance" }).catch((err: unknown) =>
        line("container", "restart", "failed", `could not mark the instance failed: ${errorMessage(err)}`),
      );
    }
    return null;
  }
  if (info.state === "running") return info;
  if (dryRun) {
    line("container", "restart", "planned", `container is ${info.state}${info.oomKilled ? " (OOMKilled)" : ""}`);
    return null;
  }
  try {
    const started = await startHealthy({ containerId: info.id, instance: inst, settings, timeoutMs: Math.min(30_000, deployTimeouts().healthMs), whenGone: () => info });
    res.containers.restarted++;
    line("container", "restart", "ok", info.oomKilled === true ? "container was killed by the OOM killer (OOMKilled): started again" : "container was stopped: started again");
    return started;
  } catch (err) {
    res.containers.failed++;
    line("container", "restart", "failed", errorMessage(err));
    return null;
  }
}

/** Puts the route back on the container when it is missing or drifted; false when the repair ends here. */
async function repairRoute({ settings, dryRun, res, line }: Repair, inst: Instance, info: ContainerInfo, routes: RouteView): Promise<boolean> {
  let spec: RouteSpec;
  const hosts = await instanceRouteHosts(inst, settings);
  try {
    spec = instanceRouteSpec({ instanceId: inst.id, hosts, upstream: upstreamFor(settings, info, inst.port) });
  } catch {
    return false; // No published port yet (container restarting): the route is checked next run.
  }
  const drift = await routes.drift(spec, inst.updatedAt);
  if (!drift) return true;
  if (dryRun) {
    line("route", "route", "planned", drift, spec.hosts[0]);
    return true;
  }
  try {
    await ensureInstanceRoute({ instance: inst, upstream: spec.upstream, settings });
    await db.instance.update({ where: { id: inst.id }, data: { routeStatus: "active", routeError: null } });
    res.routes.repaired++;
    line("route", "route", "ok", drift, spec.hosts[0]);
    return true;
  } catch (err) {
    res.routes.failed++;
    line("route", "route", "failed", errorMessage(err), spec.hosts[0]);
    return false;
  }
}

type Line = (kind: "container" | "route", action: "restart" | "route" | "recover" | "stop", status: "ok" | "failed" | "planned", message: string, name?: string) => void;

/** One repair's context: the instance as read under its lease, and where its outcome is recorded. */
interface Repair {
  id: string;
  port: number;
  state: InstanceState;
  settings: TSettings;
  dryRun: boolean;
  res: InstanceRepair;
  rt: ContainerRuntime;
  line: Line;
}

/** A busy state whose lease was free: its job died, and the recovery finishes or compensates it. */
async function recoverDeadJob({ id, state, dryRun, res, line }: Repair): Promise<void> {
  if (dryRun) return line("container", "recover", "planned", `${state} with no live job: would be recovered`);
  try {
    await recoverHeldInstance(id);
    line("container", "recover", "ok", `${state} with no live job (its process died): recovered`);
  } catch (err) {
    res.containers.failed++;
    line("container", "recover", "failed", `${state} with no live job; recovery failed: ${errorMessage(err)}`);
  }
}

/** Stops running containers of the instance other than `keep`, never one the route targets. */
async function stopOthers({ id, port, state, settings, dryRun, res, rt, line }: Repair, keep: string | null): Promise<void> {
  const extra = (await rt.listManagedContainers({ instanceId: id })).filter((c) => c.state === "running" && c.id !== keep);
  if (!extra.length) return;
  if (dryRun) return line("container", "stop", "planned", `${extra.map((c) => c.name).join(", ")} running beside what the instance says serves`);
  const routed = await readRouteUpstream(id, settings).catch((err: unknown) => err as Error);
  for (const c of extra) {
    if (routed instanceof Error || targets(routed, settings, c, port)) {
      res.containers.failed++;
      line("container", "stop", "failed", `${c.name} left running: ${routed instanceof Error ? routed.message : "the route targets it"}`);
      continue;
    }
    try {
      await rt.stopContainer(c.id, deployTimeouts().stopSeconds);
      line("container", "stop", "ok", `${c.name} was running beside what the instance (${state}) says serves: stopped`);
    } catch (err) {
      res.containers.failed++;
      line("container", "stop", "failed", `${c.name}: ${errorMessage(err)}`);
    }
  }
}
