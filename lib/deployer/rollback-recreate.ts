import { db } from "../db";
import { settingsFor } from "../servers/placement";
import type { Actor } from "../audit/record-event";
import { bringUp } from "./bring-up";
import { promotion } from "./promotion";
import type { DeploymentRecorder } from "./recorder";
import type { Events, RollbackTarget } from "./rollback-target";
import { switchToCandidate } from "./switch-protocol";

/**
 * Rollback to a deployment whose container is gone: its exact image (by
 * digest, pulled with the stored credentials when absent) and the runtime
 * spec it started with come up beside what serves, then the switch, as a
 * redeploy does. A failure before the switch leaves the serving container
 * as it was.
 */
export async function recreateRollback(opts: { instanceId: string; rec: DeploymentRecorder; events: Events; actor: Actor; signal: AbortSignal; target: Extract<RollbackTarget, { kind: "recreate" }> }) {
  const { rec, signal, target } = opts;
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const settings = await settingsFor(instance);
  const from = target.deployment;
  await switchToCandidate({
    rec, instance, settings, signal, actor: opts.actor,
    audit: { action: "instance.rollback", target: `${instance.name} (${instance.image} → ${target.image}, deployment ${from.id})` },
    stopFirst: target.spec.deployStrategy === "stop-first" && !!instance.containerId,
    candidate: "fresh",
    bringUp: () => bringUp({ rec, instance, image: target.image, settings, signal, spec: target.spec }),
    failed: { event: opts.events.failed, error: (message) => `rollback failed: ${message}` },
    // The row keeps the deployment's reference (its tag) and the exact digest that now serves.
    promoted: { event: opts.events.ok, columns: (fresh) => promotion(instance, { id: fresh.id, name: fresh.name, image: from.image, digest: fresh.digest ?? from.digest }, target.spec) },
  });
}
