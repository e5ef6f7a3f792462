import { db } from "../db";
import { ensureConsumerDns, removeConsumerDns } from "../dns/hooks";
import { getRuntime } from "../docker";
import { getSettings } from "../settings/get-settings";
import type { Actor } from "../audit/record-event";
import { instanceFqdn } from "../naming";
import { bringUp } from "./bring-up";
import { upstreamFor } from "./container-plan";
import { closeDeployment, failureMessage } from "./close-deployment";
import { digestPromotion } from "./promotion";
import { pruneContainers } from "./instance-containers";
import { ensureInstanceRoute, removeInstanceRoute } from "./instance-route";
import type { DeploymentRecorder } from "./recorder";
import { transitionInstance } from "./transition-instance";
import { certificateStep } from "./certificate-step";
import { specColumns, specOf } from "./runtime-spec";
import type { TRuntimeSpec } from "./spec-schemas";

/**
 * A deploy (SPEC §5): image → container → healthy → route → DNS → commit
 * `running`. Anything that fails before the commit is undone in reverse
 * order and the instance ends `failed` with the reason. A container that
 * served before (a deploy from `stopped`/`failed`) is kept as the rollback target.
 */
export async function runDeploy(opts: { instanceId: string; rec: DeploymentRecorder; image: string; actor?: Actor; signal: AbortSignal; spec?: TRuntimeSpec }): Promise<void> {
  const { rec, signal } = opts;
  const settings = await getSettings();
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const fqdn = instanceFqdn(instance.subdomain, settings.baseDomain);
  let containerId: string | null = null;
  let routed = false;
  let dnsTouched = false;
  try {
    const container = await bringUp({ rec, instance, image: opts.image, settings, signal, spec: opts.spec });
    containerId = container.id;
    signal.throwIfAborted();
    const upstream = upstreamFor(settings, container, instance.port);
    const routeStatus = await rec.step("route", () => ensureInstanceRoute({ instance, upstream, settings }), (s) =>
      s === "active" ? `${fqdn} → ${upstream.host}:${upstream.port}` : "no proxy provider configured: route not configured",
    );
    routed = routeStatus === "active";
    signal.throwIfAborted();
    dnsTouched = true;
    const dns = await ensureConsumerDns({ consumer: { type: "instance", id: instance.id }, fqdn, settings });
    await rec.note("dns", dns.status === "failed" ? "failed" : dns.status === "skipped" ? "skipped" : "succeeded", dns.error ?? (dns.status === "skipped" ? "wildcard DNS: nothing to do" : `${fqdn} synced`));
    const old = instance.containerId;
    if (old && old !== container.id) await rec.attempt("stop", () => getRuntime().stopContainer(old), `stopped ${instance.containerName}`);
    await transitionInstance(instance.id, "deployed", {
      ...(opts.spec ? specColumns(opts.spec) : {}),
      ...(old ? { previousSpec: JSON.stringify(specOf(instance)) } : {}),
      image: opts.image,
      containerId: container.id,
      containerName: container.name,
      previousContainerId: old ?? instance.previousContainerId,
      previousContainerName: old ? instance.containerName : instance.previousContainerName,
      previousImage: old ? instance.image : instance.previousImage,
      ...(old ? digestPromotion(instance, container.digest) : { digest: container.digest, updateAvailable: false }),
      routeStatus,
      routeError: null,
      error: null,
    });
    await rec.attempt("cleanup", () => pruneContainers({ instanceId: instance.id, keep: [container.id, old ?? instance.previousContainerId], rec }));
    if (routed) await certificateStep({ rec, instance, fqdn, upstream, settings, signal });
    await closeDeployment({ rec, actor: opts.actor, action: "instance.deploy", target: `${instance.name} (${opts.image})` });
  } catch (err) {
    const failure = failureMessage(err, signal);
    // Compensate in reverse order: DNS, route, container (bringUp already removed a container it could not make healthy).
    // Each undo is recorded on the deployment; one failing does not skip the others.
    if (dnsTouched && !instance.containerId) {
      const dns = await removeConsumerDns({ consumer: { type: "instance", id: instance.id }, settings });
      if (dns.status === "failed") await rec.note("compensate", "failed", `DNS record not removed (left on the ledger for the reconciler): ${dns.error}`);
    }
    if (routed && !instance.containerId) await rec.attempt("compensate", () => removeInstanceRoute({ instanceId: instance.id, settings }), "route removed");
    const made = containerId;
    if (made) await rec.attempt("compensate", () => getRuntime().removeContainer(made), "container removed");
    await transitionInstance(instance.id, "deploy_failed", { error: failure.message, ...(routed && !instance.containerId ? { routeStatus: "not_configured" } : {}) });
    await closeDeployment({ rec, actor: opts.actor, action: "instance.deploy", target: `${instance.name} (${opts.image})`, error: failure });
  }
}
