import { runtimeFor } from "../servers/server-runtime";
import { PullTally } from "../docker/pull-tally";
import { AppError } from "../errors";
import { pullAuthFor } from "../registry/credentials-for";
import { parseImageRef, pickRepoDigest } from "../image-ref";
import type { ContainerInfo, ContainerRuntime } from "../docker/types";
import type { TSettings } from "../settings/schemas";
import type { Instance } from "../generated/prisma/client";
import { mountsForCreate } from "./check-mounts";
import { containerSpecFor, instanceNetwork } from "./container-plan";
import { specOf } from "./runtime-spec";
import type { TRuntimeSpec } from "./spec-schemas";
import type { DeploymentRecorder } from "./recorder";
import { startHealthy } from "./start-healthy";

/**
 * Image present → container created → started → healthy (start-healthy.ts):
 * the part every deploy, redeploy and recreated rollback shares. On failure
 * it removes the container it created (compensation, SPEC §4.2) and rethrows.
 */
export async function bringUp(opts: { rec: DeploymentRecorder; instance: Instance; image: string; settings: TSettings; signal: AbortSignal; spec?: TRuntimeSpec }): Promise<ContainerInfo & { digest: string | null }> {
  const { rec, instance, image, settings, signal } = opts;
  const rt = await runtimeFor(instance.serverId);
  const exact = await ensureImage({ rt, rec, image, settings, signal });
  signal.throwIfAborted();
  await rec.step("network", () => rt.ensureNetwork(instanceNetwork(settings)), () => instanceNetwork(settings));
  // Created from the exact image resolved above, so a tag that moves meanwhile cannot change what starts.
  const spec = containerSpecFor({ instance, deploymentId: rec.deploymentId, image: exact.createRef, settings, spec: opts.spec });
  // Every create re-checks its mounts (issue 21): bind sources are resolved again and Docker gets the real path; volumes must be Wharf's or adopted.
  // Volumes are never compensated: they hold data and outlive every generation (removed only on an explicit deleteVolumes).
  if (spec.mounts?.length) {
    const mounts = spec.mounts;
    spec.mounts = await rec.step("volumes", () => mountsForCreate({ rt, instanceId: instance.id, mounts }), (m) => m.map((x) => (x.type === "volume" ? x.name : `${x.source}:${x.target}`)).join(", "));
  }
  const created = await rec.step("create", () => rt.createContainer(spec), (c) => `${c.name} (${c.id.slice(0, 12)})`);
  await rec.setContainer(created.id, created.name);
  await rec.setSpec(opts.spec ?? specOf(instance));
  try {
    signal.throwIfAborted();
    const healthy = await startHealthy({
      containerId: created.id, instance, settings, signal, recording: { rec },
      whenGone: () => {
        throw new Error(`container ${created.name} disappeared after start`);
      },
    });
    return { ...healthy, digest: exact.digest };
  } catch (err) {
    await rec.attempt("compensate", () => rt.removeContainer(created.id), `removed ${created.name}`);
    throw err;
  }
}

/**
 * Makes the image present and resolves exactly what will start. A reference
 * by tag that came from a registry is pulled again (the tag may have moved:
 * that is what a redeploy and an update are for); an image built locally
 * (no repo digest) or one pinned by a digest that is present needs no pull.
 */
async function ensureImage(opts: { rt: ContainerRuntime; rec: DeploymentRecorder; image: string; settings: TSettings; signal: AbortSignal }): Promise<{ digest: string | null; imageId: string; createRef: string }> {
  const { rt, rec, image, settings, signal } = opts;
  const ref = parseImageRef(image);
  const local = await rt.imageInfo(image);
  if (local && (ref.digest || local.repoDigests.length === 0)) {
    await rec.note("pull", "skipped", `${image} is present locally`);
  } else {
    const auth = pullAuthFor(settings, image);
    await rec.step("pull", async (progress) => {
      const tally = new PullTally();
      await rt.pullImage(image, (p) => {
        tally.add(p);
        progress(tally.summary(), tally.counts());
      }, signal, auth);
      return tally;
    }, (tally) => `pulled ${image}: ${tally.summary()}`);
  }
  const info = await rt.imageInfo(image);
  if (!info) throw new AppError("PROVIDER_ERROR", `image ${image} is not present after the pull step`);
  const digest = pickRepoDigest(image, info.repoDigests);
  await rec.setImage(digest, info.id);
  return { digest, imageId: info.id, createRef: digest ? `${ref.name}@${digest}` : image };
}
