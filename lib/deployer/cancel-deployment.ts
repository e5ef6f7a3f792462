import { db } from "../db";
import { recordEvent, type Actor } from "../audit/record-event";
import { parseInstanceState, transition } from "../lifecycle/transition";
import { findInstanceOrThrow, getInstance } from "./get-instance";
import { abortJob } from "./jobs";
import { recoverInstance } from "./recover-instances";

/** Cancels a running deploy or redeploy: the job stops at its next step and compensates. */
export async function cancelDeployment(opts: { actor: Actor; id: string }) {
  const instance = await findInstanceOrThrow(opts.id);
  transition(parseInstanceState(instance.status), "cancel"); // refuses with INVALID_TRANSITION when nothing can be cancelled
  await db.deployment.updateMany({ where: { instanceId: instance.id, status: "running" }, data: { cancelRequested: true } });
  await recordEvent({ actor: opts.actor, action: "instance.cancel", target: instance.name, result: "ok" });
  // No job here means the process that ran it died: finish it the way a restart would.
  if (!abortJob(instance.id, `cancelled by ${opts.actor.label}`)) await recoverInstance(instance.id);
  return getInstance(instance.id);
}
