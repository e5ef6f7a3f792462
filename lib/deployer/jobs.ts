import type { ConsumerLease } from "../consumers/consumer-lease";
import { db } from "../db";
import { fenced, type LeaseFence } from "../db/lease";
import { logger } from "../logger";

// Deploys outlive the request that started them (the API answers 202). A job
// holds its instance's consumer lease for its whole life: the lease is the
// job's liveness (SPEC §13). Its heartbeat renews the lease every second and
// reads the deployment's cancel flag, so a cancel written by any process
// reaches the job within a second. The registry below only lets this process
// await its own jobs (tests, shutdown) and observe their failures.
interface Job {
  deploymentId: string;
  lease: ConsumerLease;
  promise: Promise<void>;
}

const holder = globalThis as unknown as { __wharfJobs?: Map<string, Job> };
const jobs = (holder.__wharfJobs ??= new Map<string, Job>());

export function runJob(instanceId: string, deploymentId: string, lease: ConsumerLease, fn: (signal: AbortSignal) => Promise<void>): void {
  lease.heartbeat(async (l) => {
    const dep = await db.deployment.findUnique({ where: { id: deploymentId }, select: { cancelRequested: true } });
    if (dep?.cancelRequested) l.abort("cancel requested");
  });
  const promise = (async () => {
    try {
      // Run as the lease's holder: the job's transitions and history writes are fenced by it (issue 26).
      await lease.run(() => fn(lease.signal));
    } catch (err) {
      // Jobs record their own failures on the deployment; this is the last line of defence.
      logger.error({ op: "job", instanceId, deploymentId, err: (err as Error).message }, "deploy job failed unexpectedly");
      await closeAbandoned(lease, deploymentId, (err as Error).message);
    } finally {
      if (jobs.get(instanceId)?.deploymentId === deploymentId) jobs.delete(instanceId);
      await lease.release().catch((err: unknown) => logger.error({ op: "job", instanceId, deploymentId, err: (err as Error).message }, "could not release the consumer lease; it expires on its own"));
    }
  })();
  jobs.set(instanceId, { deploymentId, lease, promise });
}

/** Aborts the instance's running job in this process at once (other processes see the cancel flag at their next heartbeat). */
export function abortJob(instanceId: string, reason: string): boolean {
  const job = jobs.get(instanceId);
  if (!job) return false;
  job.lease.abort(reason);
  return true;
}

/** Resolves when the instance's current job (if any) has finished. */
export async function waitForJob(instanceId: string): Promise<void> {
  await jobs.get(instanceId)?.promise;
}

export function runningJobs(): string[] {
  return [...jobs.keys()];
}

/**
 * A job whose own failure path threw never closed its deployment: close it here, or it stays
 * "running" for ever (nothing else closes the history row of an instance that is not busy). Seen
 * in the PostgreSQL chaos run: a process paused past its lease resumed, its compensation's
 * transition was refused because the process that took over had already failed the instance.
 * Fenced: a job that lost its lease leaves the row to the process that took over.
 */
async function closeAbandoned(lease: LeaseFence, deploymentId: string, message: string): Promise<void> {
  const error = `the job ended unexpectedly: ${message}`.slice(0, 4000);
  const now = new Date();
  await fenced(lease, async (tx) => {
    await tx.deploymentStep.updateMany({ where: { deploymentId, status: "running" }, data: { status: "failed", message: error, finishedAt: now } });
    await tx.deployment.updateMany({ where: { id: deploymentId, status: "running" }, data: { status: "failed", error, finishedAt: now } });
  }).catch((err: unknown) => logger.error({ op: "job", deploymentId, err: (err as Error).message }, "could not close the deployment of a job that ended unexpectedly"));
}
