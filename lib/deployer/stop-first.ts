import { getRuntime } from "../docker";
import { waitHealthy } from "../docker/wait-healthy";
import type { TSettings } from "../settings/schemas";
import type { Instance } from "../generated/prisma/client";
import { probeFor } from "./container-plan";
import { cutover } from "./cutover";
import type { DeploymentRecorder } from "./recorder";
import { deployTimeouts } from "./timeouts";

// deployStrategy "stop-first" (issue 14): for apps that cannot share their data
// directory with a second copy of themselves even for the few seconds blue and
// green overlap (SQLite files, lock files). The serving container stops BEFORE
// the new one starts: requests fail from the stop until the switch. Honest
// trade-off, shown on the deploy's "stop" step.

export async function stopServing(opts: { rec: DeploymentRecorder; containerId: string | null }): Promise<void> {
  if (!opts.containerId) return;
  await opts.rec.step("stop", () => getRuntime().stopContainer(opts.containerId!, deployTimeouts().stopSeconds), () => "stop-first: the instance is down until the new container is healthy");
}

/**
 * Compensation after a failed stop-first switch: the old container starts
 * again and the route is pointed back at it (in host mode its published port
 * changes on restart, so the route must be re-read, not assumed).
 */
export async function restoreServing(opts: { rec: DeploymentRecorder; instance: Instance; settings: TSettings; signal: AbortSignal }): Promise<void> {
  const { rec, instance, settings } = opts;
  const id = instance.containerId;
  if (!id) return;
  const rt = getRuntime();
  await rec.step("compensate", () => rt.startContainer(id), () => `started ${instance.containerName} again`);
  const info = await rt.inspectContainer(id);
  if (!info) return;
  // Not the deploy's signal: a cancelled deploy must still bring the old container back.
  const healthy = await waitHealthy({ runtime: rt, containerId: id, probe: probeFor(settings, info, instance), timeoutMs: deployTimeouts().healthMs });
  await cutover({ rec, instance, target: healthy.container, settings });
}
