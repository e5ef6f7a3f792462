import { getRuntime } from "../docker";
import type { ContainerInfo } from "../docker/types";
import { waitHealthy } from "../docker/wait-healthy";
import type { TSettings } from "../settings/schemas";
import type { Instance } from "../generated/prisma/client";
import { containerSpecFor, instanceNetwork, probeFor } from "./container-plan";
import type { DeploymentRecorder } from "./recorder";
import { deployTimeouts } from "./timeouts";

/**
 * Image present → container created → started → healthy: the part every
 * deploy, redeploy and start shares. On failure it removes the container it
 * created (compensation, SPEC §4.2) and rethrows.
 */
export async function bringUp(opts: { rec: DeploymentRecorder; instance: Instance; image: string; settings: TSettings; signal: AbortSignal }): Promise<ContainerInfo> {
  const { rec, instance, image, settings, signal } = opts;
  const rt = getRuntime();
  if (await rt.imageExists(image)) {
    await rec.note("pull", "skipped", `${image} is present locally`);
  } else {
    await rec.step("pull", async (progress) => {
      const layers = new Map<string, string>();
      await rt.pullImage(
        image,
        (p) => {
          if (p.id) layers.set(p.id, p.total ? `${p.status} ${Math.round(((p.current ?? 0) / p.total) * 100)}%` : p.status);
          progress([...layers.entries()].slice(-6).map(([id, s]) => `${id}: ${s}`).join("\n") || p.status);
        },
        signal,
      );
    }, () => `pulled ${image}`);
  }
  signal.throwIfAborted();
  await rec.step("network", () => rt.ensureNetwork(instanceNetwork(settings)), () => instanceNetwork(settings));
  const spec = containerSpecFor({ instance, deploymentId: rec.deploymentId, image, settings });
  const created = await rec.step("create", () => rt.createContainer(spec), (c) => `${c.name} (${c.id.slice(0, 12)})`);
  await rec.setContainer(created.id, created.name);
  try {
    signal.throwIfAborted();
    await rec.step("start", () => rt.startContainer(created.id));
    const info = await rt.inspectContainer(created.id);
    if (!info) throw new Error(`container ${created.name} disappeared after start`);
    const healthy = await rec.step(
      "health",
      (progress) =>
        waitHealthy({ runtime: rt, containerId: created.id, probe: probeFor(settings, info, instance), timeoutMs: deployTimeouts().healthMs, signal, onWaiting: progress }),
      (r) => `healthy via ${r.via} after ${r.elapsedMs} ms`,
    );
    return healthy.container;
  } catch (err) {
    await rec.attempt("compensate", () => rt.removeContainer(created.id), `removed ${created.name}`);
    throw err;
  }
}
