// The process-wide container runtime (STYLE habit 5: interface + lookup).
import { env } from "../env";
import { DockerodeRuntime } from "./dockerode";
import type { ContainerRuntime } from "./types";

export type { ContainerInfo, ContainerRuntime, ContainerSpec, ContainerState, PullProgress } from "./types";

// On globalThis so that Next's dev-mode module reloads reuse one client (and its sockets).
const holder = globalThis as unknown as { __wharfRuntime?: ContainerRuntime };

export function getRuntime(): ContainerRuntime {
  holder.__wharfRuntime ??= new DockerodeRuntime({ env: env() });
  return holder.__wharfRuntime;
}

/** Swap in a double (or a runtime with other options); `null` goes back to the default on next use. */
export function setRuntimeForTests(rt: ContainerRuntime | null): void {
  holder.__wharfRuntime = rt ?? undefined;
}
