import { db } from "../db";
import { settingsFor } from "../servers/placement";
import { removeConsumerDns } from "../dns/hooks";
import { runtimeFor } from "../servers/server-runtime";
import type { ContainerInfo } from "../docker/types";
import type { Instance } from "../generated/prisma/client";
import type { Upstream } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import type { Actor } from "../audit/record-event";
import { instanceFqdn } from "../naming";
import { bringUp } from "./bring-up";
import { clusterOf } from "../servers/cluster";
import { runServiceRollout } from "./service-rollout";
import { upstreamFor } from "./container-plan";
import { closeDeployment, failureMessage } from "./close-deployment";
import { dnsStep } from "./dns-step";
import { digestPromotion } from "./promotion";
import { pruneContainers } from "./instance-containers";
import { ensureInstanceRoute, removeInstanceRoute, type RouteStatus } from "./instance-route";
import type { DeploymentRecorder } from "./recorder";
import { transitionInstance } from "./transition-instance";
import { certificateStep } from "./certificate-step";
import { specColumns, specOf } from "./runtime-spec";
import type { TRuntimeSpec } from "./spec-schemas";
import type { TPinChoice } from "./service-pin";

/** What a deploy has done so far: what its compensation must undo. */
type DeployProgress = { containerId: string | null; routed: boolean; dnsTouched: boolean };

/**
 * A deploy (SPEC §5): image → container → healthy → route → DNS → commit
 * `running`. Anything that fails before the commit is undone in reverse
 * order and the instance ends `failed` with the reason. A container that
 * served before (a deploy from `stopped`/`failed`) is kept as the rollback target.
 */
export async function runDeploy(opts: { instanceId: string; rec: DeploymentRecorder; image: string; actor?: Actor; signal: AbortSignal; spec?: TRuntimeSpec; pin?: TPinChoice }): Promise<void> {
  const { rec, signal } = opts;
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const cluster = await clusterOf(instance);
  if (cluster) {
    return runServiceRollout({ instanceId: instance.id, rec, swarm: cluster.swarm, image: opts.image, actor: opts.actor, signal, spec: opts.spec, pin: opts.pin, events: { ok: "deployed", failed: "deploy_failed" }, audit: "instance.deploy" });
  }
  const settings = await settingsFor(instance);
  const target = `${instance.name} (${opts.image})`;
  const progress: DeployProgress = { containerId: null, routed: false, dnsTouched: false };
  try {
    const container = await bringUp({ rec, instance, image: opts.image, settings, signal, spec: opts.spec });
    progress.containerId = container.id;
    signal.throwIfAborted();
    const upstream = upstreamFor(settings, container, instance.port);
    const routeStatus = await routeAndDns({ rec, instance, upstream, settings, signal, progress });
    await commitDeployed({ rec, instance, container, image: opts.image, spec: opts.spec, routeStatus });
    if (progress.routed) await certificateStep({ rec, instance, fqdn: instanceFqdn(instance.subdomain, settings.baseDomain), upstream, settings, signal });
    await closeDeployment({ rec, actor: opts.actor, action: "instance.deploy", target });
  } catch (err) {
    const failure = failureMessage(err, signal);
    await undoDeploy({ rec, instance, settings, progress, error: failure.message });
    await closeDeployment({ rec, actor: opts.actor, action: "instance.deploy", target, error: failure });
  }
}

/** The route to the healthy container, then its DNS record; `progress` says which of them the compensation must undo. */
async function routeAndDns(opts: { rec: DeploymentRecorder; instance: Instance; upstream: Upstream; settings: TSettings; signal: AbortSignal; progress: DeployProgress }): Promise<RouteStatus> {
  const { rec, instance, upstream, settings, signal, progress } = opts;
  const fqdn = instanceFqdn(instance.subdomain, settings.baseDomain);
  const routeStatus = await rec.step("route", () => ensureInstanceRoute({ instance, upstream, settings }), (s) =>
    s === "active" ? `${fqdn} → ${upstream.host}:${upstream.port}` : "no proxy provider configured: route not configured",
  );
  progress.routed = routeStatus === "active";
  signal.throwIfAborted();
  progress.dnsTouched = true;
  await dnsStep({ rec, instanceId: instance.id, fqdn, settings });
  return routeStatus;
}

/** Commits `running` on the new container; one that served before is stopped and kept as the rollback target, older generations pruned. */
async function commitDeployed(opts: { rec: DeploymentRecorder; instance: Instance; container: ContainerInfo & { digest: string | null }; image: string; spec?: TRuntimeSpec; routeStatus: RouteStatus }): Promise<void> {
  const { rec, instance, container, spec } = opts;
  const old = instance.containerId;
  if (old && old !== container.id) await rec.attempt("stop", () => runtimeFor(instance.serverId).then((rt) => rt.stopContainer(old)), `stopped ${instance.containerName}`);
  await transitionInstance(instance.id, "deployed", {
    ...(spec ? specColumns(spec) : {}),
    ...(old ? { previousSpec: JSON.stringify(specOf(instance)) } : {}),
    image: opts.image,
    containerId: container.id,
    containerName: container.name,
    previousContainerId: old ?? instance.previousContainerId,
    previousContainerName: old ? instance.containerName : instance.previousContainerName,
    previousImage: old ? instance.image : instance.previousImage,
    ...(old ? digestPromotion(instance, container.digest) : { digest: container.digest, updateAvailable: false }),
    routeStatus: opts.routeStatus,
    routeError: null,
    error: null,
  });
  await rec.attempt("cleanup", () => pruneContainers({ instanceId: instance.id, serverId: instance.serverId, keep: [container.id, old ?? instance.previousContainerId], rec }));
}

/**
 * Compensates in reverse order: DNS, route, container (bringUp already removed a container it could not make healthy),
 * then the instance ends `failed`. Each undo is recorded on the deployment; one failing does not skip the others.
 */
async function undoDeploy(opts: { rec: DeploymentRecorder; instance: Instance; settings: TSettings; progress: DeployProgress; error: string }): Promise<void> {
  const { rec, instance, settings, progress } = opts;
  const firstDeploy = !instance.containerId;
  if (progress.dnsTouched && firstDeploy) {
    const dns = await removeConsumerDns({ consumer: { type: "instance", id: instance.id }, settings });
    if (dns.status === "failed") await rec.note("compensate", "failed", `DNS record not removed (left on the ledger for the reconciler): ${dns.error}`);
  }
  if (progress.routed && firstDeploy) await rec.attempt("compensate", () => removeInstanceRoute({ instanceId: instance.id, settings }), "route removed");
  const made = progress.containerId;
  if (made) await rec.attempt("compensate", () => runtimeFor(instance.serverId).then((rt) => rt.removeContainer(made)), "container removed");
  await transitionInstance(instance.id, "deploy_failed", { error: opts.error, ...(progress.routed && firstDeploy ? { routeStatus: "not_configured" } : {}) });
}
