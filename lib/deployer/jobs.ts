import { logger } from "../logger";

// Deploys outlive the request that started them (the API answers 202). The
// registry keeps each running job's promise and AbortController so that a
// job can be cancelled and awaited, and its failure is always observed.
interface Job {
  deploymentId: string;
  controller: AbortController;
  promise: Promise<void>;
}

const holder = globalThis as unknown as { __wharfJobs?: Map<string, Job> };
const jobs = (holder.__wharfJobs ??= new Map<string, Job>());

export function runJob(instanceId: string, deploymentId: string, fn: (signal: AbortSignal) => Promise<void>): void {
  const controller = new AbortController();
  const promise = (async () => {
    try {
      await fn(controller.signal);
    } catch (err) {
      // Jobs record their own failures on the deployment; this is the last line of defence.
      logger.error({ op: "job", instanceId, deploymentId, err: (err as Error).message }, "deploy job failed unexpectedly");
    } finally {
      if (jobs.get(instanceId)?.deploymentId === deploymentId) jobs.delete(instanceId);
    }
  })();
  jobs.set(instanceId, { deploymentId, controller, promise });
}

/** Aborts the instance's running job; false when there is none in this process. */
export function abortJob(instanceId: string, reason: string): boolean {
  const job = jobs.get(instanceId);
  if (!job) return false;
  job.controller.abort(new Error(reason));
  return true;
}

/** Resolves when the instance's current job (if any) has finished. */
export async function waitForJob(instanceId: string): Promise<void> {
  await jobs.get(instanceId)?.promise;
}

export function runningJobs(): string[] {
  return [...jobs.keys()];
}
