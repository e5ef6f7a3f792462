import { db } from "../db";
import { runtimeFor } from "../servers/server-runtime";
import { AppError, errorMessage } from "../errors";
import type { Deployment, Instance } from "../generated/prisma/client";
import type { InstanceEvent } from "../lifecycle/states";
import { registryCredentialsFor } from "../registry/credentials-for";
import { parseImageRef } from "../image-ref";
import { headManifestDigest } from "../registry/registry-client";
import type { TSettings } from "../settings/schemas";
import type { ContainerRuntime } from "../docker/types";
import { specOf, previousSpecOf } from "./runtime-spec";
import type { TRuntimeSpec } from "./spec-schemas";

/** The instance events a rollback reports: a blue-green rollback, or a revival of a first deploy. */
export type Events = { begin: InstanceEvent; ok: InstanceEvent; failed: InstanceEvent };

// What a rollback goes back to (SPEC §5, issue 22): the kept container when it
// still exists (started again, as always), else a recorded deployment's exact
// image (its repo digest, pulled with the stored credentials) and the runtime
// spec it started with, recreated the same blue-green way.

/** Deployment kinds that start a container a rollback can go back to. */
export const ROLLBACK_KINDS = ["deploy", "redeploy", "update", "rollback"];

export type RollbackTarget =
  | { kind: "kept"; deployment: Deployment | null }
  | { kind: "recreate"; deployment: Deployment; image: string; spec: TRuntimeSpec };

/** Deployments "Roll back to this" is offered on: succeeded, with an exact image, not the one serving now. */
export function canRollBackTo(instance: Pick<Instance, "containerId">, d: Pick<Deployment, "status" | "kind" | "digest" | "containerId">): boolean {
  return d.status === "succeeded" && ROLLBACK_KINDS.includes(d.kind) && !!d.digest && (!d.containerId || d.containerId !== instance.containerId);
}

export async function rollbackTarget(opts: { instance: Instance; deploymentId?: string; settings: TSettings }): Promise<RollbackTarget> {
  const { instance } = opts;
  const rt = await runtimeFor(instance.serverId);
  const keptExists = instance.previousContainerId ? (await rt.inspectContainer(instance.previousContainerId)) !== null : false;
  let deployment: Deployment | null;
  if (opts.deploymentId) {
    deployment = await db.deployment.findFirst({ where: { id: opts.deploymentId, instanceId: instance.id } });
    if (!deployment) throw new AppError("VALIDATION", `deploymentId: instance ${instance.name} has no deployment ${opts.deploymentId}`, { field: "deploymentId" });
    if (deployment.status !== "succeeded" || !ROLLBACK_KINDS.includes(deployment.kind)) {
      throw new AppError("VALIDATION", `deploymentId: deployment ${deployment.id} (${deployment.kind}, ${deployment.status}) did not start a container to roll back to`, { field: "deploymentId" });
    }
    if (deployment.containerId && deployment.containerId === instance.containerId) throw new AppError("CONFLICT", `deployment ${deployment.id} is the one serving ${instance.name} now`);
    if (keptExists && deployment.containerId === instance.previousContainerId) return { kind: "kept", deployment };
  } else {
    if (keptExists) return { kind: "kept", deployment: null };
    // The kept container is gone (pruned, removed by hand): the deployment that created it, else the newest successful one before what serves now.
    const candidates = await db.deployment.findMany({ where: { instanceId: instance.id, status: "succeeded", kind: { in: ROLLBACK_KINDS }, digest: { not: null } }, orderBy: { startedAt: "desc" }, take: 50 });
    deployment =
      candidates.find((d) => instance.previousContainerId && d.containerId === instance.previousContainerId) ??
      candidates.find((d) => (d.containerId ? d.containerId !== instance.containerId : d.digest !== instance.digest)) ??
      null;
    if (!deployment) throw new AppError("CONFLICT", `instance ${instance.name} has no rollback target: no earlier successful deployment is recorded`);
  }
  if (!deployment.digest) {
    throw new AppError("CONFLICT", `deployment ${deployment.id} started a local image without a registry digest (${deployment.image}); its container is gone, so Wharf cannot start exactly that image again`);
  }
  const ref = parseImageRef(deployment.image);
  const image = `${ref.name}@${deployment.digest}`;
  await checkDigestAvailable({ rt, image, settings: opts.settings });
  return { kind: "recreate", deployment, image, spec: deploymentSpec(instance, deployment) };
}

/** The spec a deployment started with; rows from before issue 22 have none: the kept one's, else the current. */
function deploymentSpec(instance: Instance, d: Deployment): TRuntimeSpec {
  if (d.spec) {
    try {
      return JSON.parse(d.spec) as TRuntimeSpec;
    } catch {
      // fall through
    }
  }
  return d.containerId && d.containerId === instance.previousContainerId ? previousSpecOf(instance) : specOf(instance);
}

/**
 * Before anything changes: the exact image must be present locally or in
 * its registry (a manifest HEAD by digest, with the stored credentials), so
 * a digest the registry no longer has refuses the rollback with that reason.
 */
async function checkDigestAvailable(opts: { rt: ContainerRuntime; image: string; settings: TSettings }): Promise<void> {
  if (await opts.rt.imageInfo(opts.image)) return;
  const ref = parseImageRef(opts.image);
  try {
    await headManifestDigest({ registry: ref.registry, repository: ref.repository, reference: ref.digest!, creds: registryCredentialsFor(opts.settings, opts.image) });
  } catch (err) {
    throw new AppError("CONFLICT", `cannot roll back to ${opts.image}: it is not present locally and the registry cannot provide it (${errorMessage(err)})`, { details: { image: opts.image } });
  }
}
