import { errorMessage } from "../errors";
import { recordEvent, SYSTEM_ACTOR, type Actor } from "../audit/record-event";
import type { DeploymentRecorder } from "./recorder";

/** A cancelled job's abort reason, or the error's own message. */
export function failureMessage(err: unknown, signal?: AbortSignal): { message: string; cancelled: boolean } {
  if (signal?.aborted) return { message: `cancelled: ${errorMessage(signal.reason)}`, cancelled: true };
  return { message: errorMessage(err), cancelled: false };
}

/** Ends a deployment: the history row, the audit line. */
export async function closeDeployment(opts: { rec: DeploymentRecorder; actor?: Actor; action: string; target: string; error?: { message: string; cancelled: boolean } }) {
  const { rec, error } = opts;
  await rec.finish(error ? (error.cancelled ? "cancelled" : "failed") : "succeeded", error?.message);
  await recordEvent({ actor: opts.actor ?? SYSTEM_ACTOR, action: opts.action, target: opts.target, result: error ? "error" : "ok", message: error?.message ?? null });
}
