import { runtimeFor } from "../servers/server-runtime";
import { LABEL_DEPLOYMENT } from "../naming";
import type { DeploymentRecorder } from "./recorder";

/**
 * Keeps the serving container and the rollback target; removes every other
 * container labelled for the instance (older generations, leftovers).
 */
export async function pruneContainers(opts: { instanceId: string; serverId: string | null; keep: (string | null | undefined)[]; rec?: DeploymentRecorder }): Promise<number> {
  const rt = await runtimeFor(opts.serverId);
  const keep = new Set(opts.keep.filter(Boolean));
  const stale = (await rt.listManagedContainers({ instanceId: opts.instanceId })).filter((c) => !keep.has(c.id));
  for (const c of stale) await rt.removeContainer(c.id);
  if (stale.length && opts.rec) await opts.rec.note("cleanup", "succeeded", `removed ${stale.map((c) => c.name).join(", ")}`);
  return stale.length;
}

/** Containers created by one deployment (crash recovery). */
export async function containersOfDeployment(instanceId: string, serverId: string | null, deploymentId: string) {
  return (await (await runtimeFor(serverId)).listManagedContainers({ instanceId })).filter((c) => c.labels[LABEL_DEPLOYMENT] === deploymentId);
}
