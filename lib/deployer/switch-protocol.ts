import type { Actor } from "../audit/record-event";
import { runtimeFor } from "../servers/server-runtime";
import type { ContainerInfo } from "../docker/types";
import type { Instance, Prisma } from "../generated/prisma/client";
import type { InstanceEvent } from "../lifecycle/states";
import { instanceFqdn } from "../naming";
import type { TSettings } from "../settings/schemas";
import { certificateStep } from "./certificate-step";
import { upstreamFor } from "./container-plan";
import { cutover, mayRetire, retire } from "./cutover";
import { closeDeployment, failureMessage } from "./close-deployment";
import { pruneContainers } from "./instance-containers";
import type { RouteStatus } from "./instance-route";
import type { DeploymentRecorder } from "./recorder";
import { restoreServing, stopServing } from "./stop-first";
import { transitionInstance } from "./transition-instance";

/** One blue-green switch, as redeploy and both rollbacks describe it; `switchToCandidate` runs it. */
export type SwitchPlan<C extends ContainerInfo> = {
  rec: DeploymentRecorder;
  instance: Instance;
  settings: TSettings;
  signal: AbortSignal;
  actor?: Actor;
  audit: { action: "instance.redeploy" | "instance.rollback"; target: string };
  /** stop-first (issue 14): the serving container stops before the candidate starts. */
  stopFirst: boolean;
  /**
   * "fresh": created for this switch: removed when it must go; once it serves,
   * older generations are pruned and its certificate is checked.
   * "kept": the rollback target: re-read and stopped again when it must go.
   */
  candidate: "fresh" | "kept";
  /**
   * A move (SPEC §16): the candidate comes up on another server, planned with
   * that server's settings; blue is stopped and removed on its own server
   * once the route has left it. Absent: the candidate is placed like blue.
   */
  destination?: { instance: Instance; settings: TSettings };
  /** The first step of the switch (a failure there fails it like any other). */
  prepare?: () => Promise<void>;
  /** Brings the candidate up healthy; `track` names it as soon as it runs (else the result is tracked). */
  bringUp: (track: (c: ContainerInfo) => void) => Promise<C>;
  /** The first compensation on failure, before the candidate is retired and blue restored. */
  undoFirst?: () => Promise<void>;
  failed: { event: InstanceEvent; error: (message: string) => string };
  promoted: { event: InstanceEvent; columns: (c: C) => Omit<Prisma.InstanceUpdateInput, "status"> };
};

type Attempt<C> = { candidate: ContainerInfo | null; stopped: boolean; switched?: { container: C; routeStatus: RouteStatus } };

/**
 * The switch protocol every blue-green path shares (redeploy, rollback to the
 * kept container, rollback recreated): the candidate comes up healthy, the
 * route is written and read back (cutover.ts), then the outcome is decided.
 * Past the switch the candidate serves and nothing undoes it (a write that
 * landed but whose answer was lost counts as done). Before it, the failure is
 * compensated and blue keeps serving: the candidate goes only once the route
 * is known not to target it, and a blue stopped first is brought back.
 */
export async function switchToCandidate<C extends ContainerInfo>(plan: SwitchPlan<C>): Promise<void> {
  const attempt: Attempt<C> = { candidate: null, stopped: false };
  try {
    await attemptSwitch(plan, attempt);
  } catch (err) {
    await compensateSwitch(plan, attempt, err);
    return;
  }
  await promoteCandidate(plan, attempt.switched!.container, attempt.switched!.routeStatus);
}

async function attemptSwitch<C extends ContainerInfo>(plan: SwitchPlan<C>, attempt: Attempt<C>): Promise<void> {
  const { rec, instance, settings, signal } = plan;
  await plan.prepare?.();
  if (plan.stopFirst) {
    attempt.stopped = true;
    await stopServing({ rec, serverId: instance.serverId, containerId: instance.containerId });
  }
  // Blue-green: the candidate comes up beside blue; blue keeps serving until the switch.
  const container = await plan.bringUp((c) => (attempt.candidate = c));
  attempt.candidate ??= container;
  signal.throwIfAborted();
  const dest = plan.destination ?? { instance, settings };
  attempt.switched = { container, routeStatus: await cutover({ rec, instance: dest.instance, target: container, settings: dest.settings }) };
}

async function compensateSwitch<C extends ContainerInfo>(plan: SwitchPlan<C>, attempt: Attempt<C>, err: unknown): Promise<void> {
  const { rec, instance, settings, signal } = plan;
  const failure = failureMessage(err, signal);
  await plan.undoFirst?.();
  const rt = await runtimeFor((plan.destination?.instance ?? instance).serverId);
  const tracked = attempt.candidate;
  const candidate = tracked && plan.candidate === "kept" ? ((await rt.inspectContainer(tracked.id)) ?? tracked) : tracked;
  // The candidate goes only once the route is known not to target it (a lost switch answer may have moved it).
  if (candidate && (await mayRetire({ rec, instance, settings, failure: err, serving: instance.containerId, candidate, candidateSettings: plan.destination?.settings }))) {
    if (plan.candidate === "kept") await rec.attempt("compensate", () => rt.stopContainer(candidate.id), `stopped ${candidate.name} again`);
    else await rec.attempt("compensate", () => rt.removeContainer(candidate.id), `removed ${candidate.name}`);
  }
  // stop-first: then blue comes back (started, the route pointed at it again).
  if (attempt.stopped) {
    await restoreServing({ rec, instance, settings, signal }).catch(async (e: unknown) => {
      await rec.note("compensate", "failed", `could not bring ${instance.containerName} back: ${(e as Error).message}`);
    });
  }
  // Blue still serves: the failure is on the deployment and the instance.
  await transitionInstance(instance.id, plan.failed.event, { error: plan.failed.error(failure.message) });
  await closeDeployment({ rec, actor: plan.actor, ...plan.audit, error: failure });
}

async function promoteCandidate<C extends ContainerInfo>(plan: SwitchPlan<C>, container: C, routeStatus: RouteStatus): Promise<void> {
  const { rec, instance, signal } = plan;
  const dest = plan.destination ?? { instance, settings: plan.settings };
  if (!plan.stopFirst && instance.containerId !== container.id) await retire({ rec, instance, settings: plan.settings, containerId: instance.containerId });
  await transitionInstance(instance.id, plan.promoted.event, { ...plan.promoted.columns(container), routeStatus, routeError: null, error: null });
  if (plan.destination) await rec.attempt("cleanup", () => leaveServer({ rec, instance }));
  if (plan.candidate === "fresh") {
    // After a move the rollback target stayed behind (and is removed there): only the new container is kept.
    const keep = plan.destination ? [container.id] : [container.id, instance.containerId];
    await rec.attempt("cleanup", () => pruneContainers({ instanceId: instance.id, serverId: dest.instance.serverId, keep, rec }));
    if (routeStatus === "active") {
      await certificateStep({ rec, instance, fqdn: instanceFqdn(instance.subdomain, dest.settings.baseDomain), upstream: upstreamFor(dest.settings, container, instance.port), settings: dest.settings, signal });
    }
  }
  await closeDeployment({ rec, actor: plan.actor, ...plan.audit });
}

/**
 * After a move: the instance's containers on the server it left are removed,
 * except one still running (retire found the route on it and kept it: the
 * next sync stops it once the route has left it). Volumes stay there.
 */
async function leaveServer(opts: { rec: DeploymentRecorder; instance: Instance }): Promise<void> {
  const rt = await runtimeFor(opts.instance.serverId);
  const left = (await rt.listManagedContainers({ instanceId: opts.instance.id })).filter((c) => c.state !== "running");
  for (const c of left) await rt.removeContainer(c.id);
  if (left.length) await opts.rec.note("cleanup", "succeeded", `removed ${left.map((c) => c.name).join(", ")} from the server the instance left`);
}
