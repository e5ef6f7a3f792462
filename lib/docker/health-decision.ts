// The pure core of waiting for a container to become healthy (SPEC §5):
// given one observation, continue, succeed or fail. No I/O here.
import type { ContainerInfo } from "./types";

/** Result of one HTTP probe from Wharf to the upstream. */
export type ProbeResult =
  | { kind: "response"; status: number }
  /** Refused, reset, timed out: the app is not listening yet. */
  | { kind: "unreachable"; reason: string };

export interface HealthObservation {
  /** Null when the container no longer exists. */
  container: ContainerInfo | null;
  /** Null when no probe was made (Docker HEALTHCHECK decides, or nothing to probe). */
  probe: ProbeResult | null;
  /** Whether an HTTP probe target was given. */
  probeConfigured: boolean;
  /** How long (by Wharf's clock) the container has been seen running without a break; 0 when not running. */
  runningForMs: number;
  elapsedMs: number;
  timeoutMs: number;
}

/** With nothing to probe, a container must stay up this long: a crash right after start is the common failure. */
export const RUNNING_SETTLE_MS = 2_000;

export type FailureKind = "gone" | "exited" | "restarting" | "unhealthy" | "timeout";

export type HealthDecision =
  | { kind: "continue"; waitingFor: string }
  | { kind: "healthy"; via: "healthcheck" | "http" | "running" }
  | { kind: "fail"; failure: FailureKind; reason: string };

/** Whether the container's health is Docker's business (the image declares a HEALTHCHECK). */
export function usesDockerHealthcheck(c: ContainerInfo): boolean {
  return c.health !== null;
}

/** Should the next step make an HTTP probe? Only when it could change the decision. */
export function needsProbe(c: ContainerInfo | null, probeConfigured: boolean): boolean {
  return probeConfigured && c !== null && c.state === "running" && !usesDockerHealthcheck(c);
}

export function decideHealth(o: HealthObservation): HealthDecision {
  const c = o.container;
  if (!c) return { kind: "fail", failure: "gone", reason: "the container no longer exists" };

  // Failures the container reports win over the clock: they are the better reason.
  if (c.state === "exited" || c.state === "dead") {
    // Docker's State.OOMKilled, said plainly: "exited with code 137" alone reads like any crash.
    if (c.oomKilled) return { kind: "fail", failure: "exited", reason: `the container was killed by the OOM killer (OOMKilled: it used more memory than its limit), exit code ${c.exitCode ?? "unknown"}` };
    const extra = c.error ? ` (${c.error})` : "";
    return { kind: "fail", failure: "exited", reason: `the container exited with code ${c.exitCode ?? "unknown"}${extra}` };
  }
  // A restart policy hides a crash as "restarting" rather than "exited"; a deploy does not wait out a crash loop.
  if (c.state === "restarting") {
    return { kind: "fail", failure: "restarting", reason: `the container keeps restarting (last exit code ${c.exitCode ?? "unknown"}${c.oomKilled ? ", OOMKilled: out of memory" : ""})` };
  }
  if (c.state === "running" && c.health === "unhealthy") {
    return { kind: "fail", failure: "unhealthy", reason: "Docker HEALTHCHECK reports the container unhealthy" };
  }

  let waitingFor: string;
  if (c.state !== "running") {
    waitingFor = `the container to run (state ${c.state})`;
  } else if (usesDockerHealthcheck(c)) {
    if (c.health === "healthy") return { kind: "healthy", via: "healthcheck" };
    waitingFor = "Docker HEALTHCHECK (starting)";
  } else if (!o.probeConfigured) {
    // No HEALTHCHECK and nothing Wharf can reach: staying up is all that can be known.
    if (o.runningForMs >= Math.min(RUNNING_SETTLE_MS, o.timeoutMs)) return { kind: "healthy", via: "running" };
    waitingFor = `the container to stay running for ${RUNNING_SETTLE_MS / 1000}s`;
  } else if (o.probe?.kind === "response" && o.probe.status < 500) {
    // Any answer below 500 means the app is serving; a 404 on "/" is a healthy app without a root page.
    return { kind: "healthy", via: "http" };
  } else if (o.probe?.kind === "response") {
    waitingFor = `an HTTP answer below 500 (got ${o.probe.status})`;
  } else if (o.probe?.kind === "unreachable") {
    waitingFor = `the app to accept connections (${o.probe.reason})`;
  } else {
    waitingFor = "the first HTTP probe";
  }

  if (o.elapsedMs >= o.timeoutMs) {
    return { kind: "fail", failure: "timeout", reason: `not healthy after ${Math.round(o.timeoutMs / 1000)}s; still waiting for ${waitingFor}` };
  }
  return { kind: "continue", waitingFor };
}
