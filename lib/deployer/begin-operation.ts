import type { Actor } from "../audit/record-event";
import type { ConsumerLease } from "../consumers/consumer-lease";
import type { Instance } from "../generated/prisma/client";
import type { InstanceEvent } from "../lifecycle/states";
import { findInstanceOrThrow } from "../db/find-instance";
import { acquireInstanceLease } from "./instance-lease";
import { runJob } from "./jobs";
import { DeploymentRecorder, type DeploymentKind } from "./recorder";
import { transitionInstance } from "./transition-instance";

export interface OperationPlan {
  event: InstanceEvent;
  image: string;
  run: (rec: DeploymentRecorder, signal: AbortSignal) => Promise<void>;
}

/**
 * Starts a background operation on an instance (STYLE habit 11): takes the
 * instance's consumer lease (409 naming the running operation when busy),
 * reads the instance under it and lets `plan` decide from that row (it may
 * refuse by throwing), then a history row, the state transition that claims
 * the instance (refused → the row is closed as failed and the error goes to
 * the caller), then the job, which holds the lease until it ends. A caller
 * that already holds the lease (a create) passes it in.
 */
export async function beginOperation(opts: {
  instanceId: string;
  kind: DeploymentKind;
  actor: Actor;
  lease?: ConsumerLease;
  plan: (instance: Instance) => Promise<OperationPlan> | OperationPlan;
}): Promise<void> {
  const lease = opts.lease ?? (await acquireInstanceLease(opts.instanceId, opts.kind));
  let rec: DeploymentRecorder | null = null;
  let plan: OperationPlan;
  try {
    // Under the lease from the first write: the claim and the history row are fenced like the job's writes.
    ({ plan, rec } = await lease.run(async () => {
      const p = await opts.plan(await findInstanceOrThrow(opts.instanceId));
      const r = await DeploymentRecorder.open({ instanceId: opts.instanceId, kind: opts.kind, image: p.image, actor: opts.actor.label });
      rec = r;
      await transitionInstance(opts.instanceId, p.event, { error: null });
      return { plan: p, rec: r };
    }));
  } catch (err) {
    if (rec) await rec.finish("failed", (err as Error).message);
    await lease.release();
    throw err;
  }
  const started = rec;
  runJob(opts.instanceId, started.deploymentId, lease, (signal) => plan.run(started, signal));
}
