import { db } from "../db";
import { removeConsumerDns } from "../dns/hooks";
import { getRuntime } from "../docker";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { recordEvent, SYSTEM_ACTOR } from "../audit/record-event";
import { isBusy } from "../lifecycle/states";
import { parseInstanceState, transition } from "../lifecycle/transition";
import type { InstanceEvent } from "../lifecycle/states";
import { getSettings } from "../settings/get-settings";
import { upstreamFor } from "./container-plan";
import { containersOfDeployment } from "./finish";
import { ensureInstanceRoute, removeInstanceRoute } from "./instance-route";
import { runningJobs } from "./jobs";
import { DeploymentRecorder } from "./recorder";
import { transitionInstance } from "./transition-instance";

const INTERRUPTED = "interrupted: Wharf stopped while this was running";

/**
 * Start-up sweep (SPEC §5): an operation left half-way by a crash is finished
 * (stop, remove) or compensated (deploy, redeploy, rollback, start), so no
 * half-made instance survives a restart.
 */
export async function recoverInstances(): Promise<number> {
  const active = new Set(runningJobs());
  const busy = (await db.instance.findMany({ select: { id: true, status: true } })).filter((i) => isBusy(parseInstanceState(i.status)) && !active.has(i.id));
  for (const i of busy) {
    try {
      await recoverInstance(i.id);
    } catch (err) {
      logger.error({ op: "recover", consumer: `instance:${i.id}`, err: errorMessage(err) }, "recovery failed");
    }
  }
  // History rows of operations that died without an instance state to show it.
  await db.deployment.updateMany({ where: { status: "running", instance: { id: { notIn: [...active] } } }, data: { status: "failed", error: INTERRUPTED, finishedAt: new Date() } });
  return busy.length;
}

export async function recoverInstance(id: string): Promise<void> {
  const instance = await db.instance.findUniqueOrThrow({ where: { id } });
  const state = parseInstanceState(instance.status);
  transition(state, "recover"); // only busy states can be recovered
  const rt = getRuntime();
  const settings = await getSettings();
  const dep = await db.deployment.findFirst({ where: { instanceId: id, status: "running" }, orderBy: { startedAt: "desc" } });
  const rec = dep ? await DeploymentRecorder.resume(dep.id) : null;
  const removeDeploymentContainers = async () => {
    if (!dep) return;
    for (const c of await containersOfDeployment(id, dep.id)) if (c.id !== instance.containerId && c.id !== instance.previousContainerId) await rt.removeContainer(c.id);
  };
  // Put the route back on the container the database says serves.
  const repointToCurrent = async () => {
    if (!instance.containerId) return;
    await rt.startContainer(instance.containerId);
    const info = await rt.inspectContainer(instance.containerId);
    if (info) await ensureInstanceRoute({ instance, upstream: upstreamFor(settings, info, instance.port), settings });
  };

  let outcome: InstanceEvent;
  switch (state) {
    case "deploying":
      await removeDeploymentContainers();
      if (!instance.containerId) {
        await removeInstanceRoute({ instanceId: id, settings });
        await removeConsumerDns({ consumer: { type: "instance", id }, settings });
      }
      outcome = "deploy_failed";
      break;
    case "redeploying":
      await removeDeploymentContainers();
      await repointToCurrent();
      outcome = "redeploy_failed";
      break;
    case "rolling_back":
      await repointToCurrent();
      if (instance.previousContainerId) await rt.stopContainer(instance.previousContainerId);
      outcome = "rollback_failed";
      break;
    case "starting":
      if (instance.containerId) await rt.stopContainer(instance.containerId);
      outcome = "start_failed";
      break;
    case "stopping":
      if (instance.containerId) await rt.stopContainer(instance.containerId);
      outcome = "stopped";
      break;
    case "removing":
      await removeInstanceRoute({ instanceId: id, settings });
      await removeConsumerDns({ consumer: { type: "instance", id }, settings });
      for (const c of await rt.listManagedContainers({ instanceId: id })) await rt.removeContainer(c.id);
      outcome = "removed";
      break;
    default:
      return;
  }
  await transitionInstance(id, outcome, outcome.endsWith("_failed") ? { error: INTERRUPTED } : {});
  if (outcome === "removed") await db.instance.delete({ where: { id } });
  else if (rec) {
    await rec.note("compensate", "succeeded", "cleaned up after a restart");
    await rec.finish("failed", INTERRUPTED);
  }
  await recordEvent({ actor: SYSTEM_ACTOR, action: "instance.recover", target: `${instance.name}: ${state} → ${outcome}`, result: "ok" });
}
