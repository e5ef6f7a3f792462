import { db } from "../db";
import { recordEvent, type Actor } from "../audit/record-event";
import { parseInstanceState, transition } from "../lifecycle/transition";
import { findInstanceOrThrow } from "../db/find-instance";
import { getInstance } from "../instances/get-instance";
import { abortJob } from "./jobs";
import { recoverInstance } from "./recover-instances";

/**
 * Cancels a running deploy or redeploy: the job stops at its next step and
 * compensates. The flag is written to the database, so the job sees it at its
 * next heartbeat (within a second) in whichever process runs it; a job of
 * this process is aborted at once. A job whose process died (its lease
 * expired) is compensated here, the way any recovery would.
 */
export async function cancelDeployment(opts: { actor: Actor; id: string }) {
  const instance = await findInstanceOrThrow(opts.id);
  transition(parseInstanceState(instance.status), "cancel"); // refuses with INVALID_TRANSITION when nothing can be cancelled
  await db.deployment.updateMany({ where: { instanceId: instance.id, status: "running" }, data: { cancelRequested: true } });
  await recordEvent({ actor: opts.actor, action: "instance.cancel", target: instance.name, result: "ok" });
  if (!abortJob(instance.id, `cancelled by ${opts.actor.label}`)) await recoverInstance(instance.id);
  return getInstance(instance.id);
}
