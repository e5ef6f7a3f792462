import type { Instance } from "../generated/prisma/client";
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
