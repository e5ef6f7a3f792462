import { setTimeout as sleep } from "node:timers/promises";
import type { Actor } from "../audit/record-event";
import { ConsumerLease } from "../consumers/consumer-lease";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { getSettings } from "../settings/get-settings";
import { processDomain } from "./process-domain";
import { domainTimeouts } from "./timeouts";

// Domain work outlives the request (the API answers 202), like deploys: a
// job takes the instance's consumer lease (SPEC §13) — waiting while a
// deploy holds it, up to leaseWaitMs — and runs one processDomain pass under
// it. A job that cannot get the lease leaves the row as it is; the
// reconciler's domain pass picks it up. The registry only lets this process
// await its own jobs (tests, shutdown).

const holder = globalThis as unknown as { __wharfDomainJobs?: Map<string, Promise<void>> };
const jobs = (holder.__wharfDomainJobs ??= new Map<string, Promise<void>>());

/** Takes the instance's lease, waiting for a running operation up to `waitMs`; null if it stayed busy. */
export async function acquireForDomain(instanceId: string, operation: "domain.check" | "domain.remove", waitMs: number): Promise<ConsumerLease | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const got = await ConsumerLease.tryAcquire({ type: "instance", id: instanceId }, operation);
    if (got instanceof ConsumerLease) return got;
    if (Date.now() >= deadline) return null;
    await sleep(500);
  }
}

export function startDomainJob(opts: { domainId: string; instanceId: string; operation: "domain.check" | "domain.remove"; actor: Actor }): void {
  const previous = jobs.get(opts.domainId) ?? Promise.resolve();
  const promise = previous.then(async () => {
    const lease = await acquireForDomain(opts.instanceId, opts.operation, domainTimeouts().leaseWaitMs);
    if (!lease) {
      logger.warn({ op: opts.operation, consumer: `instance:${opts.instanceId}`, domainId: opts.domainId }, "instance stayed busy; the reconciler picks the domain up");
      return;
    }
    lease.heartbeat();
    try {
      const settings = await getSettings();
      await lease.run(() => processDomain({ domainId: opts.domainId, settings, actor: opts.actor, signal: lease.signal }));
    } catch (err) {
      logger.error({ op: opts.operation, consumer: `instance:${opts.instanceId}`, domainId: opts.domainId, err: errorMessage(err) }, "domain job failed unexpectedly");
    } finally {
      await lease.release().catch(() => undefined);
    }
  });
  jobs.set(opts.domainId, promise);
  void promise.finally(() => {
    if (jobs.get(opts.domainId) === promise) jobs.delete(opts.domainId);
  });
}

/** Resolves when every domain job this process started has finished. */
export async function waitForDomainJobs(): Promise<void> {
  while (jobs.size) await Promise.all([...jobs.values()]);
}
