import { runtimeFor } from "../servers/server-runtime";
import type { ContainerInfo } from "../docker/types";
import { waitHealthy } from "../docker/wait-healthy";
import type { Instance } from "../generated/prisma/client";
import type { TSettings } from "../settings/schemas";
import { probeFor } from "./container-plan";
import type { DeploymentRecorder, StepName } from "./recorder";
import { deployTimeouts } from "./timeouts";

/** Where the start and the health wait are written: a deployment's steps, or nowhere (the reconciler's repair reports on its own). */
export type StartRecording = {
  rec: DeploymentRecorder;
  /** The step the start is recorded as ("start"; "compensate" when it brings the old container back) and its message. */
  startStep?: StepName;
  startMessage?: string;
  /** false: only the start is a step, the wait is not (a compensation's wait). */
  healthStep?: boolean;
};

/**
 * Start-then-wait-healthy, the step every path that runs a container shares
 * (deploy, redeploy, rollback, start, stop-first's compensation, the
 * reconciler's repair): the container is started, inspected for its
 * published port, and waited on until healthy (SPEC §5). `whenGone` says what
 * a container that vanished right after its start means: it throws, names the
 * container to probe instead, or returns null to skip the wait (the result is
 * then null). The health wait uses the deploy timeout unless `timeoutMs` is
 * given, and is cancelled by `signal` when one is passed.
 */
export async function startHealthy<G extends ContainerInfo | null>(opts: {
  containerId: string;
  instance: Pick<Instance, "port" | "healthPath" | "serverId">;
  settings: TSettings;
  whenGone: () => G;
  /** Told the started container before the wait (a rollback stops it again if the switch fails). */
  onStarted?: (info: ContainerInfo) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
  recording?: StartRecording;
}): Promise<ContainerInfo | G> {
  const { containerId, instance, settings, signal, recording } = opts;
  const rt = await runtimeFor(instance.serverId);
  const start = () => rt.startContainer(containerId);
  if (recording) await recording.rec.step(recording.startStep ?? "start", start, () => recording.startMessage);
  else await start();
  const info = (await rt.inspectContainer(containerId)) ?? opts.whenGone();
  if (!info) return info;
  opts.onStarted?.(info);
  const wait = (onWaiting?: (waitingFor: string) => void) =>
    waitHealthy({ runtime: rt, containerId, probe: probeFor(settings, info, instance), timeoutMs: opts.timeoutMs ?? deployTimeouts().healthMs, signal, onWaiting });
  if (!recording || recording.healthStep === false) return (await wait()).container;
  const healthy = await recording.rec.step("health", (progress) => wait(progress), (r) => `healthy via ${r.via} after ${r.elapsedMs} ms`);
  return healthy.container;
}
