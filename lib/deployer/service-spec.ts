import type { PullAuth } from "../docker/types";
import type { Instance } from "../generated/prisma/client";
import { containerLabels } from "../naming";
import { installationId } from "../secrets";
import { envEntries } from "./env-vars";
import type { TRuntimeSpec } from "./spec-schemas";
import type { ServiceSpec } from "../swarm/types";

// Pure: what Swarm is asked to run for an instance (issue 28). The image is
// pinned by digest, values marked secret become Docker secrets (files under
// /run/secrets, `<KEY>_FILE` in the environment), the health check is Wharf's
// HTTP probe as a Docker HEALTHCHECK when the instance names a health path
// (otherwise the image's own), and updates are rolling, start-first, rolled
// back by Swarm when a new task fails.

export const serviceName = (instanceName: string) => `wharf-${instanceName}`;

export function placementOf(instance: Pick<Instance, "placement">): string[] {
  return JSON.parse(instance.placement || "[]") as string[];
}

export function serviceSpecFor(opts: {
  instance: Pick<Instance, "id" | "name" | "env" | "port" | "healthPath">;
  deploymentId: string;
  /** `repo@sha256:…` */
  image: string;
  spec: TRuntimeSpec;
  replicas: number;
  constraints: string[];
  registryAuth?: PullAuth;
}): ServiceSpec {
  const { instance, spec } = opts;
  const name = serviceName(instance.name);
  const entries = envEntries(instance.env);
  const env = Object.fromEntries(entries.filter((e) => !e.secret).map((e) => [e.key, e.value]));
  const secrets = Object.fromEntries(entries.filter((e) => e.secret).map((e) => [e.key, e.value]));
  const nanoCpus = spec.limits.cpus ? Math.round(spec.limits.cpus * 1e9) : null;
  const memoryBytes = spec.limits.memoryMb ? spec.limits.memoryMb * 1024 * 1024 : null;
  return {
    name,
    image: opts.image,
    env,
    secrets,
    labels: containerLabels(instance.id, opts.deploymentId, installationId()),
    port: instance.port,
    replicas: opts.replicas,
    constraints: opts.constraints,
    limits: { memoryBytes, nanoCpus },
    reservations: { memoryBytes: null, nanoCpus: null },
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
