import { setTimeout as sleep } from "node:timers/promises";
import { ensureConsumerDns } from "../dns/hooks";
import { getRuntime } from "../docker";
import type { ContainerInfo } from "../docker/types";
import { instanceFqdn } from "../naming";
import type { TSettings } from "../settings/schemas";
import type { Instance } from "../generated/prisma/client";
import { upstreamFor } from "./container-plan";
import { ensureInstanceRoute, type RouteStatus } from "./instance-route";
import type { DeploymentRecorder } from "./recorder";
import { deployTimeouts } from "./timeouts";

/**
 * The blue-green switch: the route moves to `target` in ONE provider call
 * (the provider replaces the route in place, so no request sees a gap),
 * then DNS is ensured (best-effort; normally a no-op as the content is unchanged).
 */
export async function cutover(opts: { rec: DeploymentRecorder; instance: Instance; target: ContainerInfo; settings: TSettings }): Promise<RouteStatus> {
  const { rec, instance, target, settings } = opts;
  const upstream = upstreamFor(settings, target, instance.port);
  const fqdn = instanceFqdn(instance.subdomain, settings.baseDomain);
  const status = await rec.step("switch", () => ensureInstanceRoute({ instance, upstream, settings }), (s) =>
    s === "active" ? `${fqdn} → ${target.name} (${upstream.host}:${upstream.port})` : "no proxy provider configured",
  );
  const dns = await ensureConsumerDns({ consumer: { type: "instance", id: instance.id }, fqdn, settings });
  await rec.note("dns", dns.status === "failed" ? "failed" : dns.status === "skipped" ? "skipped" : "succeeded", dns.error ?? (dns.status === "skipped" ? "wildcard DNS: nothing to do" : `${fqdn} synced`));
  return status;
}

/**
 * Stops the container that served before the switch, after a short drain so
 * requests already inside it finish. It is kept (stopped) as the rollback
 * target. Failing to stop it is recorded, not fatal: the new one already serves.
 */
export async function retire(opts: { rec: DeploymentRecorder; containerId: string | null }): Promise<void> {
  if (!opts.containerId) return;
  const t = deployTimeouts();
  await sleep(t.drainMs);
  await opts.rec.step("stop", () => getRuntime().stopContainer(opts.containerId!, t.stopSeconds)).catch(() => undefined);
}
