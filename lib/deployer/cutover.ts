import { setTimeout as sleep } from "node:timers/promises";
import { runtimeFor } from "../servers/server-runtime";
import type { ContainerInfo } from "../docker/types";
import { errorMessage } from "../errors";
import { instanceFqdn } from "../naming";
import type { TSettings } from "../settings/schemas";
import type { Instance } from "../generated/prisma/client";
import { upstreamFor } from "./container-plan";
import { dnsStep } from "./dns-step";
import { ensureInstanceRoute, type RouteStatus } from "./instance-route";
import type { DeploymentRecorder } from "./recorder";
import { readRouteUpstream, targets } from "./route-target";
import { deployTimeouts } from "./timeouts";

/** A switch that did not happen; `routeUnknown` when even the read-back failed, so nothing may be removed. */
export class SwitchFailed extends Error {
  constructor(message: string, readonly routeUnknown: boolean) {
    super(message);
  }
}

/**
 * The blue-green switch: the route moves to `target` in ONE provider call
 * (the provider replaces the route in place, so no request sees a gap),
 * then DNS is ensured (best-effort; normally a no-op as the content is unchanged).
 * When the write fails or its answer is lost, the route is read back: if it
 * points at `target` the switch happened and goes on; otherwise SwitchFailed.
 */
export async function cutover(opts: { rec: DeploymentRecorder; instance: Instance; target: ContainerInfo; settings: TSettings }): Promise<RouteStatus> {
  const { rec, instance, target, settings } = opts;
  const upstream = upstreamFor(settings, target, instance.port);
  const fqdn = instanceFqdn(instance.subdomain, settings.baseDomain);
  let status: RouteStatus;
  try {
    status = await rec.step("switch", () => ensureInstanceRoute({ instance, upstream, settings }), (s) =>
      s === "active" ? `${fqdn} → ${target.name} (${upstream.host}:${upstream.port})` : "no proxy provider configured",
    );
  } catch (err) {
    let now;
    try {
      now = await readRouteUpstream(instance.id, settings);
    } catch (readErr) {
      throw new SwitchFailed(`switch failed (${errorMessage(err)}) and ${errorMessage(readErr)}`, true);
    }
    if (!targets(now, settings, target, instance.port)) throw new SwitchFailed(`switch failed: ${errorMessage(err)}`, false);
    await rec.note("switch", "succeeded", `the switch's answer was lost (${errorMessage(err)}); read back: ${fqdn} → ${target.name}`);
    status = "active";
  }
  await dnsStep({ rec, instanceId: instance.id, fqdn, settings });
  return status;
}

/**
 * After a failed switch: may `candidate` (the container that was to serve)
 * be stopped or removed? Only once the route is known not to target it. If
 * the route could not be read, it is first put back on `serving` (the
 * container the database says serves); if even that fails, the answer is no,
 * recorded on the deployment, and the reconciler settles it later.
 */
export async function mayRetire(opts: { rec: DeploymentRecorder; instance: Instance; settings: TSettings; failure: unknown; serving: string | null; candidate: ContainerInfo; candidateSettings?: TSettings }): Promise<boolean> {
  const { rec, instance, settings, candidate } = opts;
  if (!(opts.failure instanceof SwitchFailed && opts.failure.routeUnknown)) {
    // The switch was refused or never attempted; confirm by reading back all the same (cheap, and the one rule that must not break).
    // An unreadable route is not a "no": it falls through to putting the route back on `serving` (recorded below).
    const now = await readRouteUpstream(instance.id, settings).catch((err: unknown) => void rec.op.fail("switch.read-back", err));
    if (now !== undefined && !targets(now, opts.candidateSettings ?? settings, candidate, instance.port)) return true;
  }
  const rt = await runtimeFor(instance.serverId);
  const serving = opts.serving ? await rt.inspectContainer(opts.serving) : null;
  if (serving && serving.state === "running") {
    const back = await rec.attempt("switch", () => ensureInstanceRoute({ instance, upstream: upstreamFor(settings, serving, instance.port), settings }), `route put back on ${serving.name}`);
    if (back.ok) return true;
  }
  await rec.note("cleanup", "failed", `kept ${candidate.name} running: the route could not be confirmed away from it; the next sync re-points the route and stops the leftover`);
  return false;
}

/**
 * Stops the container that served before the switch, after a short drain so
 * requests already inside it finish. It is kept (stopped) as the rollback
 * target. Not if the route still targets it (read back first). Failing to
 * stop it is recorded on the deployment, not fatal: the new one already
 * serves, and the reconciler stops leftovers of a running instance.
 */
export async function retire(opts: { rec: DeploymentRecorder; instance: Instance; settings: TSettings; containerId: string | null }): Promise<void> {
  if (!opts.containerId) return;
  const { rec, instance, settings } = opts;
  const t = deployTimeouts();
  await sleep(t.drainMs);
  const rt = await runtimeFor(instance.serverId);
  const old = await rt.inspectContainer(opts.containerId);
  if (!old || old.state !== "running") return;
  const now = await readRouteUpstream(instance.id, settings).catch((err: unknown) => err as Error);
  if (now instanceof Error || targets(now, settings, old, instance.port)) {
    await rec.note("stop", "failed", now instanceof Error ? `${old.name} not stopped: ${now.message}` : `${old.name} not stopped: the route still targets it`);
    return;
  }
  await rec.attempt("stop", () => rt.stopContainer(old.id, t.stopSeconds), `stopped ${old.name}`);
}
