import { db } from "../db";
import { getRuntime } from "../docker";
import type { ContainerInfo } from "../docker/types";
import type { Actor } from "../audit/record-event";
import { instanceFqdn } from "../naming";
import { getSettings } from "../settings/get-settings";
import { bringUp } from "./bring-up";
import { certificateStep } from "./certificate-step";
import { upstreamFor } from "./container-plan";
import { cutover, mayRetire, retire } from "./cutover";
import { closeDeployment, failureMessage, promotion, pruneContainers } from "./finish";
import type { DeploymentRecorder } from "./recorder";
import type { Events, RollbackTarget } from "./rollback-target";
import { restoreServing, stopServing } from "./stop-first";
import { transitionInstance } from "./transition-instance";

/**
 * Rollback to a deployment whose container is gone: its exact image (by
 * digest, pulled with the stored credentials when absent) and the runtime
 * spec it started with come up beside what serves, then the switch, as a
 * redeploy does. A failure before the switch leaves the serving container
 * as it was.
 */
export async function recreateRollback(opts: { instanceId: string; rec: DeploymentRecorder; events: Events; actor: Actor; signal: AbortSignal; target: Extract<RollbackTarget, { kind: "recreate" }> }) {
  const { rec, signal, target } = opts;
  const settings = await getSettings();
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const from = target.deployment;
  const label = `${instance.name} (${instance.image} → ${target.image}, deployment ${from.id})`;
  let fresh: (ContainerInfo & { digest: string | null }) | null = null;
  let routeStatus;
  const stopFirst = target.spec.deployStrategy === "stop-first" && !!instance.containerId;
  let stopped = false;
  try {
    if (stopFirst) {
      stopped = true;
      await stopServing({ rec, containerId: instance.containerId });
    }
    fresh = await bringUp({ rec, instance, image: target.image, settings, signal, spec: target.spec });
    signal.throwIfAborted();
    routeStatus = await cutover({ rec, instance, target: fresh, settings });
  } catch (err) {
    const failure = failureMessage(err, signal);
    const made = fresh;
    if (made && (await mayRetire({ rec, instance, settings, failure: err, serving: instance.containerId, candidate: made }))) {
      await rec.attempt("compensate", () => getRuntime().removeContainer(made.id), `removed ${made.name}`);
    }
    if (stopped) await restoreServing({ rec, instance, settings, signal }).catch(async (e: unknown) => rec.note("compensate", "failed", `could not bring ${instance.containerName} back: ${(e as Error).message}`));
    await transitionInstance(instance.id, opts.events.failed, { error: `rollback failed: ${failure.message}` });
    await closeDeployment({ rec, actor: opts.actor, action: "instance.rollback", target: label, error: failure });
    return;
  }
  if (!stopFirst && instance.containerId) await retire({ rec, instance, settings, containerId: instance.containerId });
  // The row keeps the deployment's reference (its tag) and the exact digest that now serves.
  await transitionInstance(instance.id, opts.events.ok, {
    ...promotion(instance, { id: fresh.id, name: fresh.name, image: from.image, digest: fresh.digest ?? from.digest }, target.spec),
    routeStatus,
    routeError: null,
    error: null,
  });
  await rec.attempt("cleanup", () => pruneContainers({ instanceId: instance.id, keep: [fresh.id, instance.containerId], rec }));
  if (routeStatus === "active") {
    await certificateStep({ rec, instance, fqdn: instanceFqdn(instance.subdomain, settings.baseDomain), upstream: upstreamFor(settings, fresh, instance.port), settings, signal });
  }
  await closeDeployment({ rec, actor: opts.actor, action: "instance.rollback", target: label });
}
