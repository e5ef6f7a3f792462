import { db } from "../db";
import { runtimeFor } from "../servers/server-runtime";
import { settingsFor } from "../servers/placement";
import { removeConsumerDns } from "../dns/hooks";
import { type ContainerRuntime } from "../docker";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { recordEvent, SYSTEM_ACTOR } from "../audit/record-event";
import { BUSY_STATES, isBusy } from "../lifecycle/states";
import { parseInstanceState, transition } from "../lifecycle/transition";
import type { InstanceEvent, InstanceState } from "../lifecycle/states";
import type { Instance } from "../generated/prisma/client";
import type { TSettings } from "../settings/schemas";
import { upstreamFor } from "./container-plan";
import { containersOfDeployment } from "./instance-containers";
import { ensureInstanceRoute, removeInstanceRoute } from "./instance-route";
import { runningJobs } from "./jobs";
import { tryWithConsumer } from "../consumers/consumer-lease";
import { DeploymentRecorder } from "./recorder";
import { transitionInstance } from "./transition-instance";

const INTERRUPTED = "interrupted: Wharf stopped while this was running";

/**
 * Recovery (SPEC §5, §13): an operation whose job died (its process crashed
 * or was killed) is finished (stop, remove) or compensated (deploy,
 * redeploy, rollback, start), so no half-made instance survives. A job's
 * consumer lease is its liveness: only instances whose lease is free (the
 * holder stopped renewing and it expired) are taken over, so this is safe to
 * run from any process at any time — at start-up, from a sync, from cancel.
 */
export async function recoverInstances(): Promise<number> {
  const recovered = await recoverDeadJobs();
  await closeDeadHistory();
  return recovered;
}

/**
 * Busy instances whose job is not this process's and whose lease is free. Cheap (the busy
 * instances, by the status index), so every replica runs it once per lease period: a replica
 * that died holding a deploy is taken over by another within about two lease periods.
 */
export async function recoverDeadJobs(): Promise<number> {
  const active = new Set(runningJobs());
  const busy = (await db.instance.findMany({ where: { status: { in: [...BUSY_STATES] } }, select: { id: true, status: true } })).filter((i) => !active.has(i.id));
  let recovered = 0;
  for (const i of busy) {
    try {
      if ((await recoverInstance(i.id)) !== "busy") recovered++;
    } catch (err) {
      logger.error({ op: "recover", consumer: `instance:${i.id}`, err: errorMessage(err) }, "recovery failed");
    }
  }
  return recovered;
}

/**
 * History rows of operations that died without an instance state to show it (e.g. a job killed
 * between its transition back and closing its row): closed under the instance's lease, and only
 * when the instance shows no operation running. At start-up (it reads the running deployments).
 */
async function closeDeadHistory(): Promise<void> {
  const active = new Set(runningJobs());
  const open = await db.deployment.findMany({ where: { status: "running", instanceId: { notIn: [...active] } }, select: { instanceId: true }, distinct: ["instanceId"] });
  for (const { instanceId } of open) {
    await tryWithConsumer({ consumer: { type: "instance", id: instanceId }, operation: "recover" }, async () => {
      const inst = await db.instance.findUnique({ where: { id: instanceId }, select: { status: true } });
      if (inst && !isBusy(parseInstanceState(inst.status))) {
        await db.deployment.updateMany({ where: { instanceId, status: "running" }, data: { status: "failed", error: INTERRUPTED, finishedAt: new Date() } });
      }
    });
  }
}

/** Recovers one instance if no live job holds it; "busy" when one does (it is left alone). */
export async function recoverInstance(id: string): Promise<"recovered" | "busy" | "idle"> {
  const got = await tryWithConsumer({ consumer: { type: "instance", id }, operation: "recover" }, () => recoverHeldInstance(id));
  return "busy" in got ? "busy" : got.done;
}

/** The recovery itself; the caller holds the instance's lease (the reconciler's repair pass does). */
export async function recoverHeldInstance(id: string): Promise<"recovered" | "idle"> {
  const instance = await db.instance.findUnique({ where: { id } });
  if (!instance) return "idle";
  const state = parseInstanceState(instance.status);
  if (!isBusy(state)) return "idle";
  transition(state, "recover"); // only busy states can be recovered
  const rt = await runtimeFor(instance.serverId);
  const settings = await settingsFor(instance);
  const dep = await db.deployment.findFirst({ where: { instanceId: id, status: "running" }, orderBy: { startedAt: "desc" } });
  const rec = dep ? await DeploymentRecorder.resume(dep.id) : null;
  const r: Recovery = { instance, state, rt, settings, deploymentId: dep?.id ?? null };
  try {
    const outcome = await compensate(r);
    if (outcome) await closeRecovery(r, outcome, rec);
  } catch (err) {
    // Left in its busy state for the next recovery; the failure is on the deployment, where the operator looks.
    await rec?.note("compensate", "failed", `recovery after a crash failed: ${errorMessage(err)}`);
    throw err;
  }
  return "recovered";
}

interface Recovery {
  instance: Instance;
  state: InstanceState;
  rt: ContainerRuntime;
  settings: TSettings;
  /** The deployment that was running when the job died, if any. */
  deploymentId: string | null;
}

/** Undoes or finishes what the dead job was doing, by the state it left; the event that ends that state (null: nothing to do). */
async function compensate(r: Recovery): Promise<InstanceEvent | null> {
  const { instance, rt, settings } = r;
  const id = instance.id;
  switch (r.state) {
    case "deploying":
      await removeDeploymentContainers(r);
      if (!instance.containerId) {
        await removeInstanceRoute({ instanceId: id, settings });
        await removeConsumerDns({ consumer: { type: "instance", id }, settings });
      }
      return "deploy_failed";
    case "redeploying":
      await repointToCurrent(r);
      await removeDeploymentContainers(r);
      return "redeploy_failed";
    case "rolling_back":
      await repointToCurrent(r);
      if (instance.previousContainerId) await rt.stopContainer(instance.previousContainerId);
      return "rollback_failed";
    case "starting":
      if (instance.containerId) await rt.stopContainer(instance.containerId);
      return "start_failed";
    case "stopping":
      for (const c of await rt.listManagedContainers({ instanceId: id })) if (c.state === "running") await rt.stopContainer(c.id);
      return "stopped";
    case "removing":
      await removeInstanceRoute({ instanceId: id, settings });
      await removeConsumerDns({ consumer: { type: "instance", id }, settings });
      for (const c of await rt.listManagedContainers({ instanceId: id })) await rt.removeContainer(c.id);
      return "removed";
    default:
      return null;
  }
}

/** The containers the dead deployment created, except the ones the instance says serve or served. */
async function removeDeploymentContainers(r: Recovery): Promise<void> {
  if (!r.deploymentId) return;
  const { instance, rt } = r;
  for (const c of await containersOfDeployment(instance.id, instance.serverId, r.deploymentId)) if (c.id !== instance.containerId && c.id !== instance.previousContainerId) await rt.removeContainer(c.id);
}

/** Puts the route back on the container the database says serves (before anything else is removed: the route may already point at green). */
async function repointToCurrent(r: Recovery): Promise<void> {
  const { instance, rt, settings } = r;
  if (!instance.containerId) return;
  await rt.startContainer(instance.containerId);
  const info = await rt.inspectContainer(instance.containerId);
  if (info) await ensureInstanceRoute({ instance, upstream: upstreamFor(settings, info, instance.port), settings });
}

/** The state the compensation reached, written; the dead deployment closed; the recovery audited. */
async function closeRecovery(r: Recovery, outcome: InstanceEvent, rec: DeploymentRecorder | null): Promise<void> {
  const id = r.instance.id;
  await transitionInstance(id, outcome, outcome.endsWith("_failed") ? { error: INTERRUPTED } : {});
  if (outcome === "removed") await db.instance.delete({ where: { id } });
  else if (rec) {
    await rec.note("compensate", "succeeded", "cleaned up after a restart");
    await rec.finish("failed", INTERRUPTED);
  }
  await recordEvent({ actor: SYSTEM_ACTOR, action: "instance.recover", target: `${r.instance.name}: ${r.state} → ${outcome}`, result: "ok" });
}
