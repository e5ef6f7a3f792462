// Waits until a started container is healthy (SPEC §5): Docker's HEALTHCHECK
// status when the image has one, else an HTTP probe from Wharf to the
// upstream's published address. The decisions live in health-decision.ts.
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { AppError, errorMessage } from "../errors";
import { decideHealth, needsProbe, type HealthDecision, type ProbeResult } from "./health-decision";
import type { ContainerInfo, ContainerRuntime } from "./types";

export interface HealthProbeTarget {
  /** The published address (loopback for `publishOn: 127.0.0.1`), never a container IP. */
  host: string;
  port: number;
  path?: string;
}

export interface WaitHealthyOptions {
  runtime: ContainerRuntime;
  containerId: string;
  probe?: HealthProbeTarget;
  timeoutMs?: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Called when what is being waited for changes, for the deploy's step messages. */
  onWaiting?: (waitingFor: string) => void;
}

export interface WaitHealthyResult {
  via: Extract<HealthDecision, { kind: "healthy" }>["via"];
  container: ContainerInfo;
  elapsedMs: number;
}

const PROBE_TIMEOUT_MS = 2_000;

/** One GET; never rejects: anything short of an HTTP answer is "unreachable". */
export function httpProbe(t: HealthProbeTarget, timeoutMs = PROBE_TIMEOUT_MS, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.request(
      // agent:false: one fresh connection per probe, so a half-dead keep-alive socket cannot fake a state.
      { host: t.host, port: t.port, path: t.path || "/", method: "GET", agent: false, timeout: timeoutMs, signal, headers: { "user-agent": "wharf-health-probe" } },
      (res) => {
        res.resume();
        resolve({ kind: "response", status: res.statusCode ?? 0 });
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })));
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ kind: "unreachable", reason: err.code ?? err.message }));
    req.end();
  });
}

// Container output never goes into the error (SPEC §12): apps print secrets
// at start-up, and this message lands in instance.error, deployment.error,
// the audit log and pino lines. The operator reads the output in the logs view.
function failure(o: WaitHealthyOptions, d: Extract<HealthDecision, { kind: "fail" }>, c: ContainerInfo | null): AppError {
  const name = c?.name ?? o.containerId;
  const seeLogs = d.failure === "gone" ? "" : "; see its logs";
  // A timeout is ours to report (504); a crash or an unhealthy report is the upstream failing (502).
  return new AppError(d.failure === "timeout" ? "TIMEOUT" : "PROVIDER_ERROR", `Container ${name} did not become healthy: ${d.reason} during the health wait${seeLogs}`, {
    details: { containerId: o.containerId, failure: d.failure, exitCode: c?.exitCode ?? null },
  });
}

export async function waitHealthy(o: WaitHealthyOptions): Promise<WaitHealthyResult> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const intervalMs = o.intervalMs ?? 500;
  const started = Date.now();
  let lastWaitingFor = "";
  let runningSince: number | null = null;
  let runningStartedAt: string | null = null;
  for (;;) {
    o.signal?.throwIfAborted();
    const container = await o.runtime.inspectContainer(o.containerId);
    // A restart between two looks shows as a new StartedAt: the streak starts over.
    const startedAt = container?.state === "running" ? (container.startedAt ?? "unknown") : null;
    if (startedAt === null) runningSince = null;
    else if (startedAt !== runningStartedAt) runningSince = Date.now();
    runningStartedAt = startedAt;
    const remaining = timeoutMs - (Date.now() - started);
    const probe =
      o.probe && needsProbe(container, true) ? await httpProbe(o.probe, Math.max(100, Math.min(PROBE_TIMEOUT_MS, remaining)), o.signal) : null;
    o.signal?.throwIfAborted();
    const elapsedMs = Date.now() - started;
    const runningForMs = runningSince === null ? 0 : Date.now() - runningSince;
    const d = decideHealth({ container, probe, probeConfigured: o.probe !== undefined, runningForMs, elapsedMs, timeoutMs });
    if (d.kind === "healthy") return { via: d.via, container: container as ContainerInfo, elapsedMs };
    if (d.kind === "fail") throw failure(o, d, container);
    if (d.waitingFor !== lastWaitingFor) {
      lastWaitingFor = d.waitingFor;
      o.onWaiting?.(d.waitingFor);
    }
    try {
      // Never sleep past the deadline: the last observation is made at the timeout, not after it.
      await sleep(Math.max(0, Math.min(intervalMs, timeoutMs - elapsedMs)), undefined, { signal: o.signal });
    } catch (err) {
      o.signal?.throwIfAborted();
      throw new AppError("INTERNAL", `Health wait interrupted: ${errorMessage(err)}`);
    }
  }
}
