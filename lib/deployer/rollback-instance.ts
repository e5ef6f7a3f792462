import { db } from "../db";
import { runtimeFor } from "../servers/server-runtime";
import { clusterOf } from "../servers/cluster";
import { runServiceRollout } from "./service-rollout";
import { parseImageRef } from "../image-ref";
import { settingsFor } from "../servers/placement";
import { AppError } from "../errors";
import type { Actor } from "../audit/record-event";
import type { InstanceEvent } from "../lifecycle/states";
import { previousSpecOf } from "./runtime-spec";
import { promotion } from "./promotion";
import { getInstance } from "../instances/get-instance";
import { beginOperation } from "./begin-operation";
import type { DeploymentRecorder } from "./recorder";
import { startHealthy } from "./start-healthy";
import { switchToCandidate } from "./switch-protocol";
import { parseInput } from "../validation";
import { ZRollbackSchema } from "./schemas";
import { rollbackTarget, type Events } from "./rollback-target";
import { recreateRollback } from "./rollback-recreate";

const BLUE_GREEN: Events = { begin: "rollback", ok: "rolled_back", failed: "rollback_failed" };
// Nothing serves (stopped/failed): bringing the old container back is a deploy in the state table.
const REVIVE: Events = { begin: "deploy", ok: "deployed", failed: "deploy_failed" };

/**
 * Rolls back to a recorded deployment (default: the previous successful one,
 * SPEC §5): the kept container, started again if needed, when it is that
 * deployment's and still exists; otherwise a container recreated from the
 * deployment's digest and runtime spec (rollback-recreate.ts). Both switch
 * the same blue-green way (switch-protocol.ts). A digest neither present nor in the registry is
 * refused before anything changes.
 */
export async function rollbackInstance(opts: { actor: Actor; id: string; body?: unknown }) {
  const input = parseInput(ZRollbackSchema, opts.body ?? {});
  await beginOperation({
    instanceId: opts.id, kind: "rollback", actor: opts.actor,
    plan: async (instance) => {
      const events = instance.status === "running" ? BLUE_GREEN : REVIVE;
      const cluster = await clusterOf(instance);
      // On a Swarm cluster: the service's rolling update back to the recorded digest (issue 28).
      if (cluster) {
        const image = await serviceRollbackImage(instance, input.deploymentId);
        return { event: events.begin, image, run: (rec, signal) => runServiceRollout({ instanceId: instance.id, rec, swarm: cluster.swarm, image, actor: opts.actor, signal, events: { ok: events.ok, failed: events.failed }, audit: "instance.rollback" }) };
      }
      const settings = await settingsFor(instance);
      const target = await rollbackTarget({ instance, deploymentId: input.deploymentId, settings });
      if (target.kind === "recreate") {
        return { event: events.begin, image: target.deployment.image, run: (rec, signal) => recreateRollback({ instanceId: instance.id, rec, events, actor: opts.actor, signal, target }) };
      }
      if (!instance.previousContainerId) throw new AppError("CONFLICT", `instance ${instance.name} has no rollback target: it has not been redeployed yet`);
      const prev = await (await runtimeFor(instance.serverId)).inspectContainer(instance.previousContainerId);
      if (!prev) throw new AppError("CONFLICT", `the rollback target ${instance.previousContainerName} no longer exists`);
      return { event: events.begin, image: instance.previousImage ?? prev.image, run: (rec, signal) => runRollback({ instanceId: instance.id, rec, events, actor: opts.actor, signal }) };
    },
  });
  return getInstance(opts.id);
}

async function runRollback(opts: { instanceId: string; rec: DeploymentRecorder; events: Events; actor: Actor; signal: AbortSignal }) {
  const { rec, signal } = opts;
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const settings = await settingsFor(instance);
  const prevId = instance.previousContainerId!;
  await switchToCandidate({
    rec, instance, settings, signal, actor: opts.actor,
    audit: { action: "instance.rollback", target: `${instance.name} (${instance.image} → ${instance.previousImage})` },
    // stop-first (issue 14): the serving container stops before the kept one starts, so the two never share their volumes.
    stopFirst: instance.deployStrategy === "stop-first" && instance.status === "rolling_back" && instance.containerId !== prevId,
    candidate: "kept",
    prepare: async () => {
      // The kept container runs the image it was created from: exactly the digest recorded then, wherever the tag points now.
      await rec.setImage(instance.previousDigest, null);
      await rec.setContainer(prevId, instance.previousContainerName ?? prevId);
      await rec.setSpec(previousSpecOf(instance));
    },
    bringUp: (track) =>
      startHealthy({
        containerId: prevId, instance, settings, signal, onStarted: track,
        recording: { rec, startMessage: `started ${instance.previousContainerName}` },
        whenGone: () => {
          throw new AppError("CONFLICT", `the rollback target ${instance.previousContainerName} disappeared`);
        },
      }),
    failed: { event: opts.events.failed, error: (message) => `rollback failed: ${message}` },
    promoted: {
      event: opts.events.ok,
      columns: () => promotion(instance, { id: prevId, name: instance.previousContainerName, image: instance.previousImage ?? instance.image, digest: instance.previousDigest }, previousSpecOf(instance)),
    },
  });
}

/** The exact image a service rolls back to: the recorded deployment's digest, or the one served before the current. */
async function serviceRollbackImage(instance: { id: string; name: string; image: string; previousImage: string | null; previousDigest: string | null }, deploymentId?: string): Promise<string> {
  if (deploymentId) {
    const dep = await db.deployment.findFirst({ where: { id: deploymentId, instanceId: instance.id } });
    if (!dep) throw new AppError("NOT_FOUND", `deploymentId: no deployment ${deploymentId} of instance ${instance.name}`, { field: "deploymentId" });
    if (!dep.digest) throw new AppError("CONFLICT", `deploymentId: deployment ${deploymentId} recorded no digest to go back to`, { field: "deploymentId" });
    return `${parseImageRef(dep.image).name}@${dep.digest}`;
  }
  if (!instance.previousDigest || !instance.previousImage) throw new AppError("CONFLICT", `instance ${instance.name} has no rollback target: it has not been redeployed yet`);
  return `${parseImageRef(instance.previousImage).name}@${instance.previousDigest}`;
}
