import { getRuntime } from "../docker";
import { errorMessage } from "../errors";
import { LABEL_DEPLOYMENT } from "../naming";
import { recordEvent, SYSTEM_ACTOR, type Actor } from "../audit/record-event";
import type { Instance } from "../generated/prisma/client";
import type { DeploymentRecorder } from "./recorder";
import { specColumns, specOf } from "./runtime-spec";
import type { TRuntimeSpec } from "./spec-schemas";

/**
 * Blue-green bookkeeping after a switch: `target` now serves, and the
 * container that served before becomes the rollback target (so a second
 * rollback goes forward again). The runtime spec (mounts, limits, command)
 * moves with its container: `spec` is the one `target` was created with.
 */
export function promotion(instance: Instance, target: { id: string; name: string | null; image: string; digest: string | null }, spec: TRuntimeSpec) {
  return {
    ...specColumns(spec),
    previousSpec: JSON.stringify(specOf(instance)),
    image: target.image,
    containerId: target.id,
    containerName: target.name,
    previousContainerId: instance.containerId,
    previousContainerName: instance.containerName,
    previousImage: instance.image,
    ...digestPromotion(instance, target.digest),
  };
}

/** The digest now serving and the one kept for rollback; "update available" is re-decided by the next check. */
export function digestPromotion(instance: Instance, digest: string | null) {
  return { digest, previousDigest: instance.digest, updateAvailable: false };
}

/** The spec the rollback target was created with (rows from before issue 14 have none: the current one). */
export function previousSpecOf(instance: Instance): TRuntimeSpec {
  if (!instance.previousSpec) return specOf(instance);
  try {
    return JSON.parse(instance.previousSpec) as TRuntimeSpec;
  } catch {
    return specOf(instance);
  }
}

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

/**
 * Keeps the serving container and the rollback target; removes every other
 * container labelled for the instance (older generations, leftovers).
 */
export async function pruneContainers(opts: { instanceId: string; keep: (string | null | undefined)[]; rec?: DeploymentRecorder }): Promise<number> {
  const rt = getRuntime();
  const keep = new Set(opts.keep.filter(Boolean));
  const stale = (await rt.listManagedContainers({ instanceId: opts.instanceId })).filter((c) => !keep.has(c.id));
  for (const c of stale) await rt.removeContainer(c.id);
  if (stale.length && opts.rec) await opts.rec.note("cleanup", "succeeded", `removed ${stale.map((c) => c.name).join(", ")}`);
  return stale.length;
}

/** Containers created by one deployment (crash recovery). */
export async function containersOfDeployment(instanceId: string, deploymentId: string) {
  return (await getRuntime().listManagedContainers({ instanceId })).filter((c) => c.labels[LABEL_DEPLOYMENT] === deploymentId);
}
