// Deploy timing knobs; environment overrides exist for tests and slow hosts.
export function deployTimeouts() {
  const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
  return {
    /** How long a new container may take to become healthy. */
    healthMs: num(process.env.WHARF_HEALTH_TIMEOUT_MS, 60_000),
    /** After a route switch, how long the old container keeps serving in-flight requests before it is stopped. */
    drainMs: num(process.env.WHARF_DRAIN_MS, 1_500),
    /** Grace period of `docker stop`. */
    stopSeconds: num(process.env.WHARF_STOP_TIMEOUT_S, 10),
  };
}
