import { db } from "../db";
import { getRuntime } from "../docker";
import type { ContainerInfo } from "../docker/types";
import type { Actor } from "../audit/record-event";
import { canAccept } from "../lifecycle/transition";
import { parseInstanceState } from "../lifecycle/transition";
import { getSettings } from "../settings/get-settings";
import { parseInput } from "../validation";
import { bringUp } from "./bring-up";
import { deployPlan } from "./create-instance";
import { cutover, mayRetire, retire } from "./cutover";
import { closeDeployment, failureMessage, promotion, pruneContainers } from "./finish";
import { getInstance } from "./get-instance";
import { beginOperation } from "./begin-operation";
import type { DeploymentRecorder } from "./recorder";
import { ZRedeploySchema } from "./schemas";
import { transitionInstance } from "./transition-instance";

/**
 * Blue-green redeploy (SPEC §5); an instance that serves nothing (stopped,
 * failed) gets a plain deploy. `kind: "update"` is the update checker's
 * redeploy (same path, its own trigger in the history).
 */
export async function redeployInstance(opts: { actor: Actor; id: string; body: unknown; kind?: "redeploy" | "update" }) {
  const input = parseInput(ZRedeploySchema, opts.body ?? {});
  const kind = opts.kind ?? "redeploy";
  await beginOperation({
    instanceId: opts.id, kind, actor: opts.actor,
    plan: async (instance) => {
      if (input.autoUpdate !== undefined && input.autoUpdate !== instance.autoUpdate) await db.instance.update({ where: { id: instance.id }, data: { autoUpdate: input.autoUpdate } });
      const image = input.image ?? instance.image;
      const state = parseInstanceState(instance.status);
      if (state !== "running" && canAccept(state, "deploy")) return deployPlan({ instanceId: instance.id, image, actor: opts.actor });
      return { event: "redeploy", image, run: (rec, signal) => runRedeploy({ instanceId: instance.id, rec, image, actor: opts.actor, signal }) };
    },
  });
  return getInstance(opts.id);
}

async function runRedeploy(opts: { instanceId: string; rec: DeploymentRecorder; image: string; actor: Actor; signal: AbortSignal }) {
  const { rec, signal } = opts;
  const settings = await getSettings();
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const target = `${instance.name} (${instance.image} → ${opts.image})`;
  let fresh: (ContainerInfo & { digest: string | null }) | null = null;
  let routeStatus;
  try {
    // Green comes up beside blue; blue keeps serving until the switch.
    fresh = await bringUp({ rec, instance, image: opts.image, settings, signal });
    signal.throwIfAborted();
    routeStatus = await cutover({ rec, instance, target: fresh, settings });
  } catch (err) {
    const failure = failureMessage(err, signal);
    // Green goes only once the route is known not to target it (a lost switch answer may have moved it).
    const green = fresh;
    if (green && (await mayRetire({ rec, instance, settings, failure: err, serving: instance.containerId, candidate: green }))) {
      await rec.attempt("compensate", () => getRuntime().removeContainer(green.id), `removed ${green.name}`);
    }
    // Blue still serves: the instance stays `running`, the failure is on the deployment and the instance.
    await transitionInstance(instance.id, "redeploy_failed", { error: `redeploy to ${opts.image} failed: ${failure.message}` });
    await closeDeployment({ rec, actor: opts.actor, action: "instance.redeploy", target, error: failure });
    return;
  }
  // Past the switch green serves; nothing below undoes it.
  await retire({ rec, instance, settings, containerId: instance.containerId });
  await transitionInstance(instance.id, "redeployed", {
    ...promotion(instance, { id: fresh.id, name: fresh.name, image: opts.image, digest: fresh.digest }),
    routeStatus,
    routeError: null,
    error: null,
  });
  await rec.attempt("cleanup", () => pruneContainers({ instanceId: instance.id, keep: [fresh.id, instance.containerId], rec }));
  await closeDeployment({ rec, actor: opts.actor, action: "instance.redeploy", target });
}
