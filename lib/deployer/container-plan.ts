import type { ContainerInfo, ContainerSpec } from "../docker/types";
import type { HealthProbeTarget } from "../docker/wait-healthy";
import type { Upstream } from "../proxy/types";
import type { TSettings } from "../settings/schemas";
import { containerLabels, containerName, networkAlias } from "../naming";
import { installationId } from "../secrets";
import { containerEnv } from "./env-vars";
import type { Instance } from "../generated/prisma/client";
import { specOf } from "./runtime-spec";
import type { TRuntimeSpec } from "./spec-schemas";

// Pure derivations from settings + instance: what to create, where the proxy
// sends traffic, and where Wharf probes health. Upstream modes (SPEC §3):
// - host: the container port is published on `hostAddress` with an
//   engine-chosen port; the proxy (and Wharf's probe) use that address.
// - network: the container joins the shared network under its own name;
//   the proxy reaches it by name (Wharf must share that network to probe).

export function instanceNetwork(settings: TSettings): string {
  return settings.proxy.upstream.mode === "network" ? settings.proxy.upstream.network : settings.docker.network;
}

/** `spec` is the runtime spec of the generation being created (a redeploy's new one); the row's own by default. */
export function containerSpecFor(opts: { instance: Instance; deploymentId: string; image: string; settings: TSettings; spec?: TRuntimeSpec }): ContainerSpec {
  const { instance, settings } = opts;
  const up = settings.proxy.upstream;
  const spec = opts.spec ?? specOf(instance);
  return {
    name: containerName(instance.name, opts.deploymentId),
    image: opts.image,
    env: containerEnv(instance.env),
    labels: containerLabels(instance.id, opts.deploymentId, installationId()),
    network: instanceNetwork(settings),
    networkAliases: [networkAlias(instance.name)],
    port: instance.port,
    publishOn: up.mode === "host" ? up.hostAddress : up.probeAddress,
    restartPolicy: instance.restartPolicy as ContainerSpec["restartPolicy"],
    mounts: spec.mounts,
    memoryBytes: spec.limits.memoryMb ? spec.limits.memoryMb * 1024 * 1024 : null,
    // A plain engine's only reservation (issue 28): the soft limit. A CPU reservation is refused for engines in resolveSpec.
    memoryReservationBytes: spec.reservations?.memoryMb ? spec.reservations.memoryMb * 1024 * 1024 : null,
    // Rounded: 0.1 × 1e9 is 100000000.00000001 in floating point, and the engine wants an integer.
    nanoCpus: spec.limits.cpus ? Math.round(spec.limits.cpus * 1e9) : null,
    pidsLimit: spec.limits.pidsLimit,
    cmd: spec.command,
    entrypoint: spec.entrypoint,
  };
}

/** A wildcard bind address is not a destination: reach it on loopback. */
function reachable(address: string): string {
  return address === "0.0.0.0" ? "127.0.0.1" : address === "::" ? "::1" : address;
}

export function upstreamFor(settings: TSettings, container: ContainerInfo, port: number): Upstream {
  const up = settings.proxy.upstream;
  if (up.mode === "host") {
    if (!container.publishedPort) throw new Error(`container ${container.name} has no published port for ${port}/tcp`);
    return { scheme: "http", host: reachable(up.hostAddress), port: container.publishedPort };
  }
  return { scheme: "http", host: container.name, port };
}

/** Undefined when there is nothing to probe yet (a container that exited at once has no published port): the health wait then reports why. */
export function probeFor(settings: TSettings, container: ContainerInfo, instance: Pick<Instance, "port" | "healthPath">): HealthProbeTarget | undefined {
  const up = settings.proxy.upstream;
  // Network mode with a probe address (the managed proxy): routed by name, probed where Wharf on the host reaches it.
  if (up.mode === "network" && up.probeAddress) {
    return container.publishedPort ? { host: up.probeAddress, port: container.publishedPort, path: instance.healthPath ?? "/" } : undefined;
  }
  if (up.mode === "host" && !container.publishedPort) return undefined;
  const u = upstreamFor(settings, container, instance.port);
  return { host: u.host, port: u.port, path: instance.healthPath ?? "/" };
}
