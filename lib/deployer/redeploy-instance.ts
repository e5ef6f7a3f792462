import { db } from "../db";
import { settingsFor } from "../servers/placement";
import { AppError } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { parseImageRef } from "../image-ref";
import { canAccept } from "../lifecycle/transition";
import { parseInstanceState } from "../lifecycle/transition";
import { getSettings } from "../settings/get-settings";
import { parseInput } from "../validation";
import { bringUp } from "./bring-up";
import { deployPlan } from "./create-instance";
import { promotion } from "./promotion";
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
import { switchToCandidate } from "./switch-protocol";
import { assertClusterFields, resolveServerRef } from "../servers/resolve-server";
import { clusterOf } from "../servers/cluster";
import { runServiceRollout, runServiceScale } from "./service-rollout";
import { checkPinNode } from "./service-pin";
import { hasVolumes, placementOf } from "./service-spec";
import type { Instance } from "../generated/prisma/client";

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
      // Written only once every check below passed: a refused body changes nothing.
      const writeAutoUpdate = async () => {
        if (input.autoUpdate !== undefined && input.autoUpdate !== instance.autoUpdate) await db.instance.update({ where: { id: instance.id }, data: { autoUpdate: input.autoUpdate } });
      };
      // TLS options: written by the job once the state table has accepted it (still under the lease); the switch's route push and the certificate step read them from the row.
      const tls = { tlsHttps: input.tls?.https ?? instance.tlsHttps, tlsRedirect: input.tls?.redirect ?? instance.tlsRedirect, tlsHsts: input.tls?.hsts ?? instance.tlsHsts };
      const previousTls = { tlsHttps: instance.tlsHttps, tlsRedirect: instance.tlsRedirect, tlsHsts: instance.tlsHsts };
      const tlsChange = tls.tlsHttps !== instance.tlsHttps || tls.tlsRedirect !== instance.tlsRedirect || tls.tlsHsts !== instance.tlsHsts ? { tls, previousTls } : undefined;
      const image = input.image ?? instance.image;
      const state = parseInstanceState(instance.status);
      const destination = await moveDestination({ instance, input, running: state === "running" });
      await assertClusterFields(destination, input);
      const cluster = await clusterOf(instance);
      // Only the replica count changed: Swarm scales the service, no image rolls out.
      // An explicit pinNode is checked now (a 400 before anything changes), against the placement the service will have.
      const pin = cluster ? { pinVolumes: input.pinVolumes, pinNode: input.pinNode ? (await checkPinNode(cluster.swarm, input.pinNode, input.placement ?? placementOf(instance))).id : undefined } : undefined;
      const onlyReplicas = cluster && input.replicas !== undefined && Object.keys(input).every((k) => k === "replicas");
      if (onlyReplicas && state === "running") {
        const replicas = input.replicas!;
        await writeAutoUpdate();
        return { event: "redeploy", image: instance.image, run: (rec, signal) => runServiceScale({ instanceId: instance.id, rec, swarm: cluster.swarm, replicas, actor: opts.actor, signal, events: { ok: "redeployed", failed: "redeploy_failed" } }) };
      }
      // Resolved under the lease from the re-read row. Changed mounts, limits or command apply to the new container only; the row takes them when it serves.
      const spec = await resolveSpec({ instance: { ...instance, serverId: destination }, current: specOf(instance), input, settings: await getSettings(), actor: opts.actor });
      if (input.pinNode && (!hasVolumes(spec) || !(input.pinVolumes ?? instance.pinVolumes))) {
        throw new AppError("VALIDATION", "pinNode: the instance has no pinned volumes (pinNode chooses the node its volumes stay on; use placement to choose where its tasks run)", { field: "pinNode" });
      }
      await writeAutoUpdate();
      if (state !== "running" && canAccept(state, "deploy")) {
        const plan = deployPlan({ instanceId: instance.id, image, actor: opts.actor, spec, pin });
        return {
          ...plan,
          run: async (rec, signal) => {
            if (tlsChange) await writeTls(rec, instance.id, tlsChange.tls);
            await plan.run(rec, signal);
          },
        };
      }
      if (cluster) {
        const run = (rec: DeploymentRecorder, signal: AbortSignal) =>
          runServiceRollout({ instanceId: instance.id, rec, swarm: cluster.swarm, image, actor: opts.actor, signal, spec, replicas: input.replicas, placement: input.placement, pin, events: { ok: "redeployed", failed: "redeploy_failed" }, audit: "instance.redeploy" });
        return { event: "redeploy", image, run: async (rec, signal) => {
          if (tlsChange) await writeTls(rec, instance.id, tlsChange.tls);
          await run(rec, signal);
        } };
      }
      return { event: "redeploy", image, run: (rec, signal) => runRedeploy({ instanceId: instance.id, rec, image, actor: opts.actor, signal, spec, tlsChange, destination }) };
    },
  });
  return getInstance(opts.id);
}

const DEPLOY_TOKEN_FIELDS: ReadonlySet<string> = new Set(["image"]);

/**
 * A deploy token (CI) changes the tag or digest of the instance's own image,
 * nothing else: not auto-update, mounts (bind mounts are admin-only), limits,
 * commands, TLS, server, replicas or placement, and not another repository or registry (which would use
 * Wharf's stored credentials for that host). Refusals are audited.
 */
async function assertDeployTokenChange(opts: { actor: Actor; id: string; input: TRedeployInput }) {
  const { actor, input } = opts;
  const refuse = async (field: string, why: string) => {
    await recordEvent({ actor, action: "instance.redeploy", target: opts.id, result: "denied", message: `${field}: ${why}` });
    throw new AppError("FORBIDDEN", `${field}: ${why}`, { field });
  };
  // An allowlist: a field added to the redeploy body later is refused to tokens until it is listed here.
  const field = Object.keys(input).find((k) => !DEPLOY_TOKEN_FIELDS.has(k) && input[k as keyof TRedeployInput] !== undefined);
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
  /** The server to move to; the instance's own when it stays. */
  destination: string | null;
}) {
  const { rec, signal } = opts;
  const instance = await db.instance.findUniqueOrThrow({ where: { id: opts.instanceId } });
  const settings = await settingsFor(instance);
  const moved = opts.destination !== instance.serverId ? { ...instance, serverId: opts.destination } : null;
  const destination = moved ? { instance: moved, settings: await settingsFor(moved) } : undefined;
  if (moved) await rec.note("create", "succeeded", `moving from server ${await serverName(instance.serverId)} to ${await serverName(moved.serverId)}`);
  // Before green comes up: a failed write is on the deployment and the redeploy goes on with the options the row has.
  const tlsWritten = opts.tlsChange ? await writeTls(rec, instance.id, opts.tlsChange.tls) : false;
  const previousTls = opts.tlsChange?.previousTls;
  await switchToCandidate({
    rec, instance, settings, signal, actor: opts.actor,
    audit: { action: "instance.redeploy", target: `${instance.name} (${instance.image} → ${opts.image})` },
    stopFirst: opts.spec.deployStrategy === "stop-first",
    candidate: "fresh",
    destination,
    bringUp: () => bringUp({ rec, instance: destination?.instance ?? instance, image: opts.image, settings: destination?.settings ?? settings, signal, spec: opts.spec }),
    // First, so a route put back on blue below carries blue's TLS options.
    undoFirst: async () => {
      if (tlsWritten && previousTls) await rec.attempt("compensate", () => db.instance.update({ where: { id: instance.id }, data: previousTls }), "previous TLS options kept");
    },
    // Blue still serves: the instance stays `running`.
    failed: { event: "redeploy_failed", error: (message) => `redeploy to ${opts.image} failed: ${message}` },
    promoted: {
      event: "redeployed",
      columns: (fresh) => ({
        ...promotion(instance, { id: fresh.id, name: fresh.name, image: opts.image, digest: fresh.digest }, opts.spec),
        // A move leaves no container to roll back to on the new server: a rollback recreates from the deployment history there.
        ...(moved ? { serverId: moved.serverId, previousContainerId: null, previousContainerName: null } : {}),
      }),
    },
  });
}

type TlsCols = { tlsHttps: boolean; tlsRedirect: boolean; tlsHsts: boolean };

/** Writes the instance's new TLS options, recorded on the deployment; true when written. */
async function writeTls(rec: DeploymentRecorder, instanceId: string, tls: TlsCols): Promise<boolean> {
  const onOff = (b: boolean) => (b ? "on" : "off");
  const res = await rec.attempt("route", () => db.instance.update({ where: { id: instanceId }, data: tls }), `TLS options: HTTPS ${onOff(tls.tlsHttps)}, redirect ${onOff(tls.tlsRedirect)}, HSTS ${onOff(tls.tlsHsts)}`);
  return res.ok;
}

/**
 * The server a redeploy runs the instance on: its own, or another one (a
 * move, SPEC §16). A move needs a running instance (blue-green: the site
 * stays up), and one with volumes needs the operator's word that the data
 * stays behind (volumes are per server; the new one starts empty).
 */
async function moveDestination(opts: { instance: Instance; input: TRedeployInput; running: boolean }): Promise<string | null> {
  const { instance, input } = opts;
  if (input.server === undefined) return instance.serverId;
  const dest = await resolveServerRef(input.server);
  if (dest === instance.serverId) return dest;
  const kinds = await db.server.findMany({ where: { id: { in: [dest, instance.serverId].filter((x): x is string => !!x) }, kind: "swarm" }, select: { name: true } });
  if (kinds.length) throw new AppError("VALIDATION", `server: an instance does not move to or from a Swarm cluster (${kinds.map((k) => k.name).join(", ")}); deploy a new instance there`, { field: "server" });
  if (!opts.running) throw new AppError("CONFLICT", `server: only a running instance moves (blue-green, the site stays up); ${instance.name} is ${instance.status}`, { field: "server" });
  const volumes = specOf(instance).mounts.filter((m) => m.type === "volume");
  if (volumes.length && input.dataStaysBehind !== true) {
    throw new AppError("VALIDATION", `dataStaysBehind: ${instance.name} has volumes (${volumes.map((v) => v.target).join(", ")}): their data stays on server ${await serverName(instance.serverId)} and the new server starts them empty; confirm with dataStaysBehind: true`, { field: "dataStaysBehind" });
  }
  return dest;
}

async function serverName(id: string | null): Promise<string> {
  if (!id) return "local";
  return (await db.server.findUnique({ where: { id }, select: { name: true } }))?.name ?? id;
}
