import type { PullAuth } from "../docker/types";
import type { Instance } from "../generated/prisma/client";
import { containerLabels, serviceName } from "../naming";
import { installationId } from "../secrets";
import { envEntries } from "./env-vars";
import type { TRuntimeSpec } from "./spec-schemas";
import type { ServiceSpec } from "../swarm/types";
import { pinConstraint } from "../swarm/constraints";

// Pure: what Swarm is asked to run for an instance (issue 28). The image is
// pinned by digest, values marked secret become Docker secrets (files under
// /run/secrets, `<KEY>_FILE` in the environment), the health check is Wharf's
// HTTP probe as a Docker HEALTHCHECK when the instance names a health path
// (otherwise the image's own), and updates are rolling, start-first, rolled
// back by Swarm when a new task fails. Reservations are the task's
// Resources.Reservations; a service with named volumes pinned to a node
// (Instance.pinnedNodeId) carries `node.id==<node>` beside the instance's own
// constraints on every create and update, so Swarm never starts it on a node
// whose (per-node) volume is empty.

export { serviceName };

export function placementOf(instance: Pick<Instance, "placement">): string[] {
  return JSON.parse(instance.placement || "[]") as string[];
}

/** Whether the spec mounts a named volume (what pinning is about: a volume is per node). */
export const hasVolumes = (spec: TRuntimeSpec) => spec.mounts.some((m) => m.type === "volume");

const mb = (v: number | null | undefined) => (v ? v * 1024 * 1024 : null);
const nano = (v: number | null | undefined) => (v ? Math.round(v * 1e9) : null);

export function serviceSpecFor(opts: {
  instance: Pick<Instance, "id" | "name" | "env" | "port" | "healthPath" | "pinnedNodeId">;
  deploymentId: string;
  /** `repo@sha256:…` */
  image: string;
  spec: TRuntimeSpec;
  replicas: number;
  /** The instance's own placement constraints (the pin is added here). */
  constraints: string[];
  /** The node the volumes are pinned to; default the instance's. Applied only when the spec has volumes. */
  pinnedNodeId?: string | null;
  registryAuth?: PullAuth;
}): ServiceSpec {
  const { instance, spec } = opts;
  const name = serviceName(instance.name);
  const entries = envEntries(instance.env);
  const env = Object.fromEntries(entries.filter((e) => !e.secret).map((e) => [e.key, e.value]));
  const secrets = Object.fromEntries(entries.filter((e) => e.secret).map((e) => [e.key, e.value]));
  const pin = opts.pinnedNodeId !== undefined ? opts.pinnedNodeId : instance.pinnedNodeId;
  const constraints = pin && hasVolumes(spec) ? [...opts.constraints, pinConstraint(pin)] : opts.constraints;
  return {
    name,
    image: opts.image,
    env,
    secrets,
    labels: containerLabels(instance.id, opts.deploymentId, installationId()),
    port: instance.port,
    replicas: opts.replicas,
    constraints,
    limits: { memoryBytes: mb(spec.limits.memoryMb), nanoCpus: nano(spec.limits.cpus) },
    // Specs stored before reservations existed have none.
    reservations: { memoryBytes: mb(spec.reservations?.memoryMb), nanoCpus: nano(spec.reservations?.cpus) },
    healthcheck: instance.healthPath
      ? { test: ["CMD-SHELL", `wget -q -O /dev/null http://127.0.0.1:${instance.port}${instance.healthPath} || exit 1`], intervalMs: 2_000, timeoutMs: 2_000, retries: 3, startPeriodMs: 10_000 }
      : null,
    mounts: spec.mounts.flatMap((m) => (m.type === "volume" ? [{ name: m.name, target: m.target }] : [])),
    update: { parallelism: 1, monitorMs: 5_000, order: spec.deployStrategy === "stop-first" ? "stop-first" : "start-first" },
    networks: [],
    registryAuth: opts.registryAuth,
    command: spec.command,
    entrypoint: spec.entrypoint,
  };
}
