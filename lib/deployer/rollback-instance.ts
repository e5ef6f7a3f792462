import { db } from "../db";
import { getRuntime } from "../docker";
import { waitHealthy } from "../docker/wait-healthy";
import { AppError } from "../errors";
import type { Actor } from "../audit/record-event";
import type { InstanceEvent } from "../lifecycle/states";
import { getSettings } from "../settings/get-settings";
import { probeFor } from "./container-plan";
import { cutover, retire } from "./cutover";
import { closeDeployment, failureMessage, promotion } from "./finish";
import { findInstanceOrThrow, getInstance } from "./get-instance";
import { beginOperation } from "./begin-operation";
import type { DeploymentRecorder } from "./recorder";
import { deployTimeouts } from "./timeouts";
import { transitionInstance } from "./transition-instance";

type Events = { begin: InstanceEvent; ok: InstanceEvent; failed: InstanceEvent };
const BLUE_GREEN: Events = { begin: "rollback", ok: "rolled_back", failed: "rollback_failed" };
// Nothing serves (stopped/failed): bringing the old container back is a deploy in the state table.
const REVIVE: Events = { begin: "deploy", ok: "deployed", failed: "deploy_failed" };

/** Switches back to the kept container, started again if needed, the same blue-green way (SPEC §5). */
export async function rollbackInstance(opts: { actor: Actor; id: string }) {
  const instance = await findInstanceOrThrow(opts.id);
  if (!instance.previousContainerId) throw new AppError("CONFLICT", `instance ${instance.name} has no rollback target: it has not been redeployed yet`);
  const prev = await getRuntime().inspectContainer(instance.previousContainerId);
  if (!prev) throw new AppError("CONFLICT", `the rollback target ${instance.previousContainerName} no longer exists`);
  const events = instance.status === "running" ? BLUE_GREEN : REVIVE;
  await beginOperation({
    instanceId: instance.id, kind: "rollback", image: instance.previousImage ?? prev.image, actor: opts.actor, event: events.begin,
    run: (rec, signal) => runRollback({ instanceId: instance.id, rec, events, actor: opts.actor, signal }),
  });
  return getInstance(instance.id);
}

async function runRollback(opts: { instanceId: string; rec: DeploymentRecorder; events: Events; actor: Actor; signal: AbortSignal }) {
  const { rec, signal } = opts;
  const rt = getRuntime();
  const settings = await getSettings();
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const prevId = instance.previousContainerId!;
  const target = `${instance.name} (${instance.image} → ${instance.previousImage})`;
  let started = false;
  let routeStatus;
  try {
    await rec.step("start", () => rt.startContainer(prevId), () => `started ${instance.previousContainerName}`);
    started = true;
    const info = await rt.inspectContainer(prevId);
    if (!info) throw new AppError("CONFLICT", `the rollback target ${instance.previousContainerName} disappeared`);
    const healthy = await rec.step(
      "health",
      (progress) => waitHealthy({ runtime: rt, containerId: prevId, probe: probeFor(settings, info, instance), timeoutMs: deployTimeouts().healthMs, signal, onWaiting: progress }),
      (r) => `healthy via ${r.via} after ${r.elapsedMs} ms`,
    );
    signal.throwIfAborted();
    routeStatus = await cutover({ rec, instance, target: healthy.container, settings });
  } catch (err) {
    const failure = failureMessage(err, signal);
    if (started) await rt.stopContainer(prevId).catch(() => undefined);
    await transitionInstance(instance.id, opts.events.failed, { error: `rollback failed: ${failure.message}` });
    await closeDeployment({ rec, actor: opts.actor, action: "instance.rollback", target, error: failure });
    return;
  }
  if (instance.containerId !== prevId) await retire({ rec, containerId: instance.containerId });
  await transitionInstance(instance.id, opts.events.ok, {
    ...promotion(instance, { id: prevId, name: instance.previousContainerName, image: instance.previousImage ?? instance.image }),
    routeStatus,
    routeError: null,
    error: null,
  });
  await closeDeployment({ rec, actor: opts.actor, action: "instance.rollback", target });
}
