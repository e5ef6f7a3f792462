import type { Actor } from "../audit/record-event";
import type { InstanceEvent } from "../lifecycle/states";
import { runJob } from "./jobs";
import { DeploymentRecorder, type DeploymentKind } from "./recorder";
import { transitionInstance } from "./transition-instance";

/**
 * Starts a background operation on an instance: a history row, the state
 * transition that claims the instance (refused → the row is closed as failed
 * and the error goes to the caller), then the job itself.
 */
export async function beginOperation(opts: {
  instanceId: string;
  kind: DeploymentKind;
  image: string;
  actor: Actor;
  event: InstanceEvent;
  run: (rec: DeploymentRecorder, signal: AbortSignal) => Promise<void>;
}): Promise<void> {
  const rec = await DeploymentRecorder.open({ instanceId: opts.instanceId, kind: opts.kind, image: opts.image, actor: opts.actor.label });
  try {
    await transitionInstance(opts.instanceId, opts.event, { error: null });
  } catch (err) {
    await rec.finish("failed", (err as Error).message);
    throw err;
  }
  runJob(opts.instanceId, rec.deploymentId, (signal) => opts.run(rec, signal));
}
