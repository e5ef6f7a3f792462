// Placeholder until the Swarm runtime lands (issue 28): same constructor, every call refused.
import type { DockerConnection } from "../docker/connection";
import { AppError } from "../errors";
import type { SwarmRuntime } from "./types";

export class DockerSwarm {
  constructor(_opts: { connection: DockerConnection; timeoutMs?: number }) {
    return new Proxy({}, { get: (_t, p) => (p === "then" ? undefined : () => Promise.reject(new AppError("INTERNAL", "the Swarm runtime is not available in this build"))) }) as unknown as DockerSwarm & SwarmRuntime;
  }
}
