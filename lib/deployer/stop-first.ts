import { runtimeFor } from "../servers/server-runtime";
import type { TSettings } from "../settings/schemas";
import type { Instance } from "../generated/prisma/client";
import { cutover } from "./cutover";
import type { DeploymentRecorder } from "./recorder";
import { startHealthy } from "./start-healthy";
import { deployTimeouts } from "./timeouts";

// deployStrategy "stop-first" (issue 14): for apps that cannot share their data
// directory with a second copy of themselves even for the few seconds blue and
// green overlap (SQLite files, lock files). The serving container stops BEFORE
// the new one starts: requests fail from the stop until the switch. Honest
// trade-off, shown on the deploy's "stop" step.

export async function stopServing(opts: { rec: DeploymentRecorder; serverId: string | null; containerId: string | null }): Promise<void> {
  if (!opts.containerId) return;
  await opts.rec.step("stop", async () => (await runtimeFor(opts.serverId)).stopContainer(opts.containerId!, deployTimeouts().stopSeconds), () => "stop-first: the instance is down until the new container is healthy");
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
  // Not the deploy's signal: a cancelled deploy must still bring the old container back.
  const healthy = await startHealthy({
    containerId: id, instance, settings, whenGone: () => null,
    recording: { rec, startStep: "compensate", startMessage: `started ${instance.containerName} again`, healthStep: false },
  });
  if (!healthy) return;
  await cutover({ rec, instance, target: healthy, settings });
}
