import { envNumber } from "../env";

// Deploy timing knobs; environment overrides exist for tests and slow hosts.
export function deployTimeouts() {
  return {
    /** How long a new container may take to become healthy. */
    healthMs: envNumber("WHARF_HEALTH_TIMEOUT_MS", 60_000),
    /** After a route switch, how long the old container keeps serving in-flight requests before it is stopped. */
    drainMs: envNumber("WHARF_DRAIN_MS", 1_500),
    /** Grace period of `docker stop`. */
    stopSeconds: envNumber("WHARF_STOP_TIMEOUT_S", 10),
  };
}
