import { db } from "../db";
import type { Actor } from "../audit/record-event";
import { removeConsumerDns } from "../dns/hooks";
import { AppError, errorMessage } from "../errors";
import type { Instance } from "../generated/prisma/client";
import type { InstanceEvent } from "../lifecycle/states";
import { instanceFqdn } from "../naming";
import { parseImageRef } from "../image-ref";
import { pullAuthFor } from "../registry/credentials-for";
import { getSettings } from "../settings/get-settings";
import type { TSettings } from "../settings/schemas";
import type { SwarmRuntime, TaskInfo } from "../swarm/types";
import { closeDeployment, failureMessage } from "./close-deployment";
import { dnsStep } from "./dns-step";
import { removeInstanceRoute } from "./instance-route";
import type { DeploymentRecorder } from "./recorder";
import { specColumns, specOf } from "./runtime-spec";
import { placementOf, serviceName, serviceSpecFor } from "./service-spec";
import { secretName } from "../swarm/map";
import { RouteFollower, routeService } from "./service-route";
import type { TRuntimeSpec } from "./spec-schemas";
import { transitionInstance } from "./transition-instance";
import { deployTimeouts } from "./timeouts";
import { decidePin, pinProblem, type TPinChoice } from "./service-pin";

// Deploys, redeploys and rollbacks of an instance on a Swarm cluster (issue
// 28): one rolling update of its service, followed by Wharf. The image is
// pinned by digest (asked of the registry with the stored credentials), the
// service created or updated (inspect-then-update on its version, never
// re-created on an error), the rollout followed task by task into the
// deployment's live steps, then the route to the running tasks and DNS.
// When Swarm rolls an update back, the instance keeps serving the previous
// digest and the deployment says "rolled back to <digest>". A task the
// scheduler cannot place (no node with the reserved resources, the pinned
// node drained or down) fails the rollout with the scheduler's reason after
// the health timeout; an update is then rolled back so the old tasks serve.

export type ServiceEvents = { ok: InstanceEvent; failed: InstanceEvent };

/** The exact image every node pulls: a digest as given, else the registry's current digest for the tag. */
async function pinImage(rec: DeploymentRecorder, swarm: SwarmRuntime, image: string, settings: TSettings): Promise<{ ref: string; digest: string }> {
  const ref = parseImageRef(image);
  if (ref.digest) return { ref: image, digest: ref.digest };
  return rec.step(
    "pull",
    async () => {
      const digest = await swarm.resolveDigest(image, pullAuthFor(settings, image));
      await rec.setImage(digest, null);
      return { ref: `${ref.name}@${digest}`, digest };
    },
    (p) => `${image} is ${p.digest}: every node pulls that digest`,
  );
}

function progressLine(tasks: TaskInfo[], image: string): string {
  const current = tasks.filter((t) => t.desiredState === "running");
  const ready = current.filter((t) => t.state === "running" && t.image === image);
  const where = ready.map((t) => t.node).join(", ");
  // The scheduler's reason for a task it cannot place ("no suitable node (insufficient resources on 3 nodes)").
  const pending = [...new Set(current.filter((t) => t.state === "pending" && t.error).map((t) => t.error))];
  return `${ready.length}/${current.length} tasks running the new image${where ? ` (on ${where})` : ""}${pending.length ? `; pending: ${pending.join("; ")}` : ""}`;
}

/** Swarm's answer that a task stays unplaceable (docker-swarm.ts waitForRollout). */
const unschedulable = (err: unknown) => err instanceof AppError && err.details?.unschedulable === true;

export async function runServiceRollout(opts: {
  instanceId: string;
  rec: DeploymentRecorder;
  swarm: SwarmRuntime;
  image: string;
  actor?: Actor;
  signal: AbortSignal;
  events: ServiceEvents;
  audit: "instance.deploy" | "instance.redeploy" | "instance.rollback";
  spec?: TRuntimeSpec;
  replicas?: number;
  placement?: string[];
  /** Pinning asked for by this create/redeploy (service-pin.ts); absent: the instance's. */
  pin?: TPinChoice;
}): Promise<void> {
  const { rec, swarm, signal } = opts;
  const settings = await getSettings();
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const name = serviceName(instance.name);
  const fresh = !(await swarm.inspectService(name));
  const target = `${instance.name} (${opts.image})`;
  let written = false;
  let pinnedNodeId = instance.pinnedNodeId;
  try {
    const pinned = await pinImage(rec, swarm, opts.image, settings);
    signal.throwIfAborted();
    const runtimeSpec = opts.spec ?? specOf(instance);
    const constraints = opts.placement ?? placementOf(instance);
    const pin = await decidePin({ swarm, instance, spec: runtimeSpec, constraints, choice: opts.pin });
    pinnedNodeId = pin.nodeId;
    if (pin.chosen) await rec.note("create", "succeeded", `volumes pinned to node ${pin.chosen.hostname} (${pin.chosen.id}): the service's tasks run there`);
    const spec = serviceSpecFor({
      instance,
      deploymentId: rec.deploymentId,
      image: pinned.ref,
      spec: runtimeSpec,
      replicas: opts.replicas ?? instance.replicas,
      constraints,
      pinnedNodeId: pin.nodeId,
      registryAuth: pullAuthFor(settings, opts.image),
    });
    // The runtime makes the secrets (content-addressed names) before it writes the service.
    await rec.step("create", () => (fresh ? swarm.createService(spec) : swarm.updateService(spec)), (s) => `${fresh ? "created" : "updated"} service ${s.name} (${spec.replicas} replica${spec.replicas === 1 ? "" : "s"}, ${spec.update.order})`);
    written = true;
    // An update's route follows the tasks as they are replaced (a first deploy is routed once it is up).
    const follower = fresh ? null : new RouteFollower({ instance, settings, onError: (err) => rec.op.fail("route.follow", err) });
    const outcome = await rec.step("health", (progress) =>
      swarm.waitForRollout(name, {
        signal,
        timeoutMs: deployTimeouts().healthMs + 60_000,
        pendingMs: deployTimeouts().healthMs,
        onProgress: (tasks) => {
          progress(progressLine(tasks, pinned.ref));
          follower?.follow(tasks);
        },
      }).finally(() => follower?.settle()),
      (o) => (o.outcome === "completed" ? `${spec.replicas} task${spec.replicas === 1 ? "" : "s"} running ${pinned.digest}` : `${o.outcome}: ${o.message}`),
    );
    if (outcome.outcome !== "completed") throw new RolledBack(outcome.message, outcome.outcome);
    signal.throwIfAborted();
    const routed = await rec.step("route", () => routeService({ instance, swarm, service: name, settings }), (r) => `${instanceFqdn(instance.subdomain, settings.baseDomain)} → ${r.upstreams.map((u) => `${u.host}:${u.port}`).join(", ")}`);
    await dnsStep({ rec, instanceId: instance.id, fqdn: instanceFqdn(instance.subdomain, settings.baseDomain), settings });
    await transitionInstance(instance.id, opts.events.ok, {
      ...(opts.spec ? specColumns(opts.spec) : {}),
      image: opts.image,
      digest: pinned.digest,
      previousImage: instance.digest === pinned.digest ? instance.previousImage : instance.image,
      previousDigest: instance.digest === pinned.digest ? instance.previousDigest : instance.digest,
      containerId: null,
      containerName: name,
      replicas: spec.replicas,
      // The operator's constraints; the pin is its own column (added to the service's constraints by serviceSpecFor).
      placement: JSON.stringify(constraints),
      pinVolumes: pin.pinVolumes,
      pinnedNodeId: pin.nodeId,
      updateAvailable: false,
      routeStatus: routed.status,
      routeError: null,
      error: null,
    });
    await rec.attempt("cleanup", () => swarm.removeUnusedSecrets(name, Object.entries(spec.secrets).map(([k, v]) => secretName(name, k, v))));
    await closeDeployment({ rec, actor: opts.actor, action: opts.audit, target });
  } catch (err) {
    const failure = failureMessage(err, signal);
    await undoRollout({ rec, instance, swarm, settings, fresh, err, written });
    const why = unschedulable(err) ? await pinProblem(swarm, pinnedNodeId) : null;
    const message = err instanceof RolledBack ? `Swarm rolled the update back to ${instance.digest ?? instance.image}: ${err.message}` : why ? `${failure.message} (${why})` : failure.message;
    await transitionInstance(instance.id, opts.events.failed, { error: message });
    await closeDeployment({ rec, actor: opts.actor, action: opts.audit, target, error: { ...failure, message } });
  }
}

class RolledBack extends Error {
  constructor(message: string, readonly outcome: string) {
    super(message);
  }
}

/**
 * A first deploy that failed leaves nothing: service, route, DNS. An update
 * that failed leaves the service as Swarm left it (rolled back, or paused:
 * then rolled back here), and the route on the tasks that run.
 */
async function undoRollout(opts: { rec: DeploymentRecorder; instance: Instance; swarm: SwarmRuntime; settings: TSettings; fresh: boolean; err: unknown; written: boolean }): Promise<void> {
  const { rec, instance, swarm, settings } = opts;
  const name = serviceName(instance.name);
  if (opts.fresh) {
    await rec.attempt("compensate", () => swarm.removeService(name), `service ${name} removed`);
    await rec.attempt("compensate", () => removeInstanceRoute({ instanceId: instance.id, settings }), "route removed");
    const dns = await removeConsumerDns({ consumer: { type: "instance", id: instance.id }, settings });
    if (dns.status === "failed") await rec.note("compensate", "failed", `DNS record not removed (left on the ledger for the reconciler): ${dns.error}`);
    return;
  }
  if (opts.err instanceof RolledBack && opts.err.outcome === "paused") await rec.attempt("compensate", () => swarm.rollbackService(name), "paused update rolled back");
  // Swarm never fails an unplaceable task (it stays pending, the update never ends): the update this deploy wrote is rolled back, the old tasks keep serving.
  else if (opts.written && unschedulable(opts.err)) await rec.attempt("compensate", () => swarm.rollbackService(name), "update rolled back (its new task could not be placed)");
  await rec.attempt("compensate", () => routeService({ instance, swarm, service: name, settings }).then(() => undefined), "route on the running tasks");
}

/** Scales without a rollout of the image (SPEC §16: changing `replicas`); the route follows the tasks. */
export async function runServiceScale(opts: { instanceId: string; rec: DeploymentRecorder; swarm: SwarmRuntime; replicas: number; actor?: Actor; signal: AbortSignal; events: ServiceEvents; audit?: string }): Promise<void> {
  const { rec, swarm, signal } = opts;
  const settings = await getSettings();
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const name = serviceName(instance.name);
  try {
    await rec.step("create", () => swarm.scaleService(name, opts.replicas), () => `service ${name} scaled to ${opts.replicas}`);
    const follower = new RouteFollower({ instance, settings, onError: (err) => rec.op.fail("route.follow", err) });
    const outcome = await rec.step("health", (progress) =>
      swarm.waitForRollout(name, {
        signal,
        timeoutMs: deployTimeouts().healthMs + 60_000,
        pendingMs: deployTimeouts().healthMs,
        onProgress: (t) => {
          progress(progressLine(t, t[0]?.image ?? ""));
          if (instance.status === "running") follower.follow(t);
        },
      }).finally(() => follower.settle()),
      (o) => o.outcome,
    );
    if (outcome.outcome !== "completed") throw new Error(outcome.message);
    const routed = opts.replicas > 0 ? await rec.step("route", () => routeService({ instance, swarm, service: name, settings }), (r) => r.upstreams.map((u) => `${u.host}:${u.port}`).join(", ")) : null;
    await transitionInstance(instance.id, opts.events.ok, { replicas: opts.replicas, ...(routed ? { routeStatus: routed.status, routeError: null } : {}), error: null });
    await closeDeployment({ rec, actor: opts.actor, action: opts.audit ?? "instance.scale", target: `${instance.name} → ${opts.replicas}` });
  } catch (err) {
    const failure = failureMessage(err, signal);
    await transitionInstance(instance.id, opts.events.failed, { error: `scale to ${opts.replicas} failed: ${failure.message}` });
    await closeDeployment({ rec, actor: opts.actor, action: opts.audit ?? "instance.scale", target: `${instance.name} → ${opts.replicas}`, error: failure });
  }
}

/** Removes the service and its secrets (remove-instance does the route, DNS and row). */
export async function removeService(swarm: SwarmRuntime, instanceName: string): Promise<void> {
  const name = serviceName(instanceName);
  await swarm.removeService(name);
  await swarm.removeUnusedSecrets(name, []).catch((err: unknown) => {
    throw new AppError("PROVIDER_ERROR", `service ${name} removed, its secrets not: ${errorMessage(err)}`);
  });
}
