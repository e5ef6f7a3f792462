import { db } from "../db";
import { AppError } from "../errors";
import { getRuntime } from "../docker";
import type { ContainerInfo } from "../docker/types";
import { recordEvent, type Actor } from "../audit/record-event";
import { parseImageRef } from "../registry/image-ref";
import { canAccept } from "../lifecycle/transition";
import { parseInstanceState } from "../lifecycle/transition";
import { getSettings } from "../settings/get-settings";
import { parseInput } from "../validation";
import { instanceFqdn } from "../naming";
import { bringUp } from "./bring-up";
import { certificateStep } from "./certificate-step";
import { upstreamFor } from "./container-plan";
import { deployPlan } from "./create-instance";
import { cutover, mayRetire, retire } from "./cutover";
import { closeDeployment, failureMessage, promotion, pruneContainers } from "./finish";
import { findInstanceOrThrow } from "../db/find-instance";
import { getInstance } from "../instances/get-instance";
import { beginOperation } from "./begin-operation";
import type { DeploymentRecorder } from "./recorder";
import { ZRedeploySchema } from "./schemas";
import type { z } from "zod";
type TRedeployInput = z.infer<typeof ZRedeploySchema>;
import { transitionInstance } from "./transition-instance";
import { resolveSpec, specOf } from "./runtime-spec";
import type { TRuntimeSpec } from "./spec-schemas";
import { restoreServing, stopServing } from "./stop-first";

/**
 * Blue-green redeploy (SPEC §5); an instance that serves nothing (stopped,
 * failed) gets a plain deploy. `kind: "update"` is the update checker's
 * redeploy (same path, its own trigger in the history).
 */
export async function redeployInstance(opts: { actor: Actor; id: string; body: unknown; kind?: "redeploy" | "update" }) {
  const input = parseInput(ZRedeploySchema, opts.body ?? {});
  if (opts.actor.scope) await assertDeployTokenChange({ actor: opts.actor, id: opts.id, input });
  const kind = opts.kind ?? "redeploy";
  await beginOperation({
    instanceId: opts.id, kind, actor: opts.actor,
    plan: async (instance) => {
      if (input.autoUpdate !== undefined && input.autoUpdate !== instance.autoUpdate) await db.instance.update({ where: { id: instance.id }, data: { autoUpdate: input.autoUpdate } });
      // TLS options: written by the job once the state table has accepted it (still under the lease); the switch's route push and the certificate step read them from the row.
      const tls = { tlsHttps: input.tls?.https ?? instance.tlsHttps, tlsRedirect: input.tls?.redirect ?? instance.tlsRedirect, tlsHsts: input.tls?.hsts ?? instance.tlsHsts };
      const previousTls = { tlsHttps: instance.tlsHttps, tlsRedirect: instance.tlsRedirect, tlsHsts: instance.tlsHsts };
      const tlsChange = tls.tlsHttps !== instance.tlsHttps || tls.tlsRedirect !== instance.tlsRedirect || tls.tlsHsts !== instance.tlsHsts ? { tls, previousTls } : undefined;
      const image = input.image ?? instance.image;
      // Resolved under the lease from the re-read row. Changed mounts, limits or command apply to the new container only; the row takes them when it serves.
      const spec = await resolveSpec({ instance, current: specOf(instance), input, settings: await getSettings(), actor: opts.actor });
      const state = parseInstanceState(instance.status);
      if (state !== "running" && canAccept(state, "deploy")) {
        const plan = deployPlan({ instanceId: instance.id, image, actor: opts.actor, spec });
        return {
          ...plan,
          run: async (rec, signal) => {
            if (tlsChange) await writeTls(rec, instance.id, tlsChange.tls);
            await plan.run(rec, signal);
          },
        };
      }
      return { event: "redeploy", image, run: (rec, signal) => runRedeploy({ instanceId: instance.id, rec, image, actor: opts.actor, signal, spec, tlsChange }) };
    },
  });
  return getInstance(opts.id);
}

/**
 * A deploy token (CI) changes the tag or digest of the instance's own image,
 * nothing else: not auto-update, mounts (bind mounts are admin-only), limits,
 * commands or TLS, and not another repository or registry (which would use
 * Wharf's stored credentials for that host). Refusals are audited.
 */
async function assertDeployTokenChange(opts: { actor: Actor; id: string; input: TRedeployInput }) {
  const { actor, input } = opts;
  const refuse = async (field: string, why: string) => {
    await recordEvent({ actor, action: "instance.redeploy", target: opts.id, result: "denied", message: `${field}: ${why}` });
    throw new AppError("FORBIDDEN", `${field}: ${why}`, { field });
  };
  const field = (["autoUpdate", "mounts", "limits", "command", "entrypoint", "deployStrategy", "tls"] as const).find((k) => input[k] !== undefined);
  if (field) await refuse(field, "a deploy token may change the image's tag or digest only");
  if (input.image) {
    const current = parseImageRef((await findInstanceOrThrow(opts.id)).image);
    const next = parseImageRef(input.image);
    if (next.registry !== current.registry || next.repository !== current.repository) {
      await refuse("image", `a deploy token may change the tag or digest of ${current.registry}/${current.repository} only, not deploy ${next.registry}/${next.repository}`);
    }
  }
}

async function runRedeploy(opts: {
  instanceId: string;
  rec: DeploymentRecorder;
  image: string;
  actor: Actor;
  signal: AbortSignal;
  spec: TRuntimeSpec;
  tlsChange?: { tls: TlsCols; previousTls: TlsCols };
}) {
  const { rec, signal } = opts;
  const settings = await getSettings();
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const target = `${instance.name} (${instance.image} → ${opts.image})`;
  let fresh: (ContainerInfo & { digest: string | null }) | null = null;
  let routeStatus;
  const stopFirst = opts.spec.deployStrategy === "stop-first";
  let stopped = false;
  // Before green comes up: a failed write is on the deployment and the redeploy goes on with the options the row has.
  const tlsWritten = opts.tlsChange ? await writeTls(rec, instance.id, opts.tlsChange.tls) : false;
  try {
    if (stopFirst) {
      stopped = true;
      await stopServing({ rec, containerId: instance.containerId });
    }
    // Blue-green: green comes up beside blue; blue keeps serving until the switch.
    fresh = await bringUp({ rec, instance, image: opts.image, settings, signal, spec: opts.spec });
    signal.throwIfAborted();
    routeStatus = await cutover({ rec, instance, target: fresh, settings });
  } catch (err) {
    const failure = failureMessage(err, signal);
    // First, so a route put back on blue below carries blue's TLS options.
    const previousTls = opts.tlsChange?.previousTls;
    if (tlsWritten && previousTls) await rec.attempt("compensate", () => db.instance.update({ where: { id: instance.id }, data: previousTls }), "previous TLS options kept");
    // Green goes only once the route is known not to target it (a lost switch answer may have moved it).
    const green = fresh;
    if (green && (await mayRetire({ rec, instance, settings, failure: err, serving: instance.containerId, candidate: green }))) {
      await rec.attempt("compensate", () => getRuntime().removeContainer(green.id), `removed ${green.name}`);
    }
    // stop-first: then blue comes back (started, the route pointed at it again).
    if (stopped) {
      await restoreServing({ rec, instance, settings, signal }).catch(async (e: unknown) => {
        await rec.note("compensate", "failed", `could not bring ${instance.containerName} back: ${(e as Error).message}`);
      });
    }
    // Blue still serves: the instance stays `running`, the failure is on the deployment and the instance.
    await transitionInstance(instance.id, "redeploy_failed", { error: `redeploy to ${opts.image} failed: ${failure.message}` });
    await closeDeployment({ rec, actor: opts.actor, action: "instance.redeploy", target, error: failure });
    return;
  }
  // Past the switch green serves; nothing below undoes it.
  if (!stopFirst) await retire({ rec, instance, settings, containerId: instance.containerId });
  await transitionInstance(instance.id, "redeployed", {
    ...promotion(instance, { id: fresh.id, name: fresh.name, image: opts.image, digest: fresh.digest }, opts.spec),
    routeStatus,
    routeError: null,
    error: null,
  });
  await rec.attempt("cleanup", () => pruneContainers({ instanceId: instance.id, keep: [fresh.id, instance.containerId], rec }));
  if (routeStatus === "active") {
    await certificateStep({ rec, instance, fqdn: instanceFqdn(instance.subdomain, settings.baseDomain), upstream: upstreamFor(settings, fresh, instance.port), settings, signal });
  }
  await closeDeployment({ rec, actor: opts.actor, action: "instance.redeploy", target });
}

type TlsCols = { tlsHttps: boolean; tlsRedirect: boolean; tlsHsts: boolean };

/** Writes the instance's new TLS options, recorded on the deployment; true when written. */
async function writeTls(rec: DeploymentRecorder, instanceId: string, tls: TlsCols): Promise<boolean> {
  const onOff = (b: boolean) => (b ? "on" : "off");
  const res = await rec.attempt("route", () => db.instance.update({ where: { id: instanceId }, data: tls }), `TLS options: HTTPS ${onOff(tls.tlsHttps)}, redirect ${onOff(tls.tlsRedirect)}, HSTS ${onOff(tls.tlsHsts)}`);
  return res.ok;
}
