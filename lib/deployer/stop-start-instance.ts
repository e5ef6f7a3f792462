import { db } from "../db";
import { runtimeFor } from "../servers/server-runtime";
import { settingsFor } from "../servers/placement";
import { ensureConsumerDns } from "../dns/hooks";
import { AppError, errorMessage } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { instanceFqdn } from "../naming";
import { upstreamFor } from "./container-plan";
import { closeDeployment, failureMessage } from "./close-deployment";
import { getInstance } from "../instances/get-instance";
import { withInstance } from "./instance-lease";
import { ensureInstanceRoute } from "./instance-route";
import { beginOperation } from "./begin-operation";
import type { DeploymentRecorder } from "./recorder";
import { startHealthy } from "./start-healthy";
import { clusterOf } from "../servers/cluster";
import { runServiceScale } from "./service-rollout";
import { serviceName } from "./service-spec";
import { deployTimeouts } from "./timeouts";
import { transitionInstance } from "./transition-instance";

/** Stops the serving container; the route and record stay (the reconciler drops the record while stopped). */
export async function stopInstance(opts: { actor: Actor; id: string }) {
  await withInstance(opts.id, "stop", async (instance) => {
    await transitionInstance(instance.id, "stop");
    try {
      const cluster = await clusterOf(instance);
      if (cluster) {
        // A service stops as zero tasks; the row keeps its replica count for the start.
        await cluster.swarm.scaleService(serviceName(instance.name), 0);
      } else {
        // Every running container of the instance, not only the one the row names: a leftover must not keep serving a stopped instance.
        const rt = await runtimeFor(instance.serverId);
        const running = (await rt.listManagedContainers({ instanceId: instance.id })).filter((c) => c.state === "running" || c.id === instance.containerId);
        for (const c of running) await rt.stopContainer(c.id, deployTimeouts().stopSeconds);
      }
      await transitionInstance(instance.id, "stopped", { error: null });
      await recordEvent({ actor: opts.actor, action: "instance.stop", target: instance.name, result: "ok" });
    } catch (err) {
      await transitionInstance(instance.id, "stop_failed", { error: `stop failed: ${errorMessage(err)}` });
      await recordEvent({ actor: opts.actor, action: "instance.stop", target: instance.name, result: "error", message: errorMessage(err) });
      throw err;
    }
  });
  return getInstance(opts.id);
}

/** Starts the existing container again, waits for health, re-points the route (a host port can change on restart). */
export async function startInstance(opts: { actor: Actor; id: string }) {
  await beginOperation({
    instanceId: opts.id, kind: "start", actor: opts.actor,
    plan: async (instance) => {
      const cluster = await clusterOf(instance);
      if (cluster) {
        return { event: "start", image: instance.image, run: (rec, signal) => runServiceScale({ instanceId: instance.id, rec, swarm: cluster.swarm, replicas: Math.max(1, instance.replicas), actor: opts.actor, signal, events: { ok: "started", failed: "start_failed" }, audit: "instance.start" }) };
      }
      if (!instance.containerId || !(await (await runtimeFor(instance.serverId)).inspectContainer(instance.containerId))) {
        throw new AppError("CONFLICT", `instance ${instance.name} has no container to start: redeploy it instead`);
      }
      return { event: "start", image: instance.image, run: (rec, signal) => runStart({ instanceId: instance.id, rec, actor: opts.actor, signal }) };
    },
  });
  return getInstance(opts.id);
}

export async function runStart(opts: { instanceId: string; rec: DeploymentRecorder; actor: Actor; signal: AbortSignal }) {
  const { rec, signal } = opts;
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const settings = await settingsFor(instance);
  const rt = await runtimeFor(instance.serverId);
  const id = instance.containerId!;
  try {
    const healthy = await startHealthy({
      containerId: id, instance, settings, signal, recording: { rec },
      whenGone: () => {
        throw new AppError("CONFLICT", `container ${instance.containerName} disappeared`);
      },
    });
    const upstream = upstreamFor(settings, healthy, instance.port);
    const routeStatus = await rec.step("route", () => ensureInstanceRoute({ instance, upstream, settings }));
    const fqdn = instanceFqdn(instance.subdomain, settings.baseDomain);
    const dns = await ensureConsumerDns({ consumer: { type: "instance", id: instance.id }, fqdn, settings });
    await rec.note("dns", dns.status === "failed" ? "failed" : dns.status === "skipped" ? "skipped" : "succeeded", dns.error ?? dns.status);
    await transitionInstance(instance.id, "started", { routeStatus, routeError: null, error: null });
    await closeDeployment({ rec, actor: opts.actor, action: "instance.start", target: instance.name });
  } catch (err) {
    const failure = failureMessage(err, signal);
    await rec.attempt("compensate", () => rt.stopContainer(id), `stopped ${instance.containerName}`);
    await transitionInstance(instance.id, "start_failed", { error: `start failed: ${failure.message}` });
    await closeDeployment({ rec, actor: opts.actor, action: "instance.start", target: instance.name, error: failure });
  }
}
