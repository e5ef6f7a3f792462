import { consumerLeaseTimings } from "../consumers/consumer-lease";
import { logger } from "../logger";
import { every, stopEvery } from "../scheduler/every";
import { recoverDeadJobs, recoverInstances } from "./recover-instances";
import { startTaskFollower } from "./task-follower-loop";

// The deployer's start-up step: finish or compensate operations a crash interrupted, then keep
// looking once per consumer lease period. A job's lease is its liveness: a process restarted
// right after a crash finds its dead jobs' leases not yet expired (they could belong to a live
// replica), and a replica that dies holding a deploy leaves it to whichever replica sweeps next
// after the lease expired (SPEC §13; issue 26: jobs survive their replica).
const KEY = "__wharfRecovery";

export const recoverDeploysOnStart = {
  name: "recover deploys",
  run: async (): Promise<void> => {
    await recoverInstances();
    startRecoveryLoop();
  },
};

export function startRecoveryLoop(): boolean {
  const started = every({ key: KEY, intervalMs: () => consumerLeaseTimings().ttlMs, run: recoverDeadJobs, op: "recover", failed: "recovery sweep failed" });
  if (started) logger.info({ op: "recover", intervalMs: consumerLeaseTimings().ttlMs }, "recovery sweep started");
  return started;
}

export function stopRecoveryLoop(): void {
  stopEvery(KEY);
}

/** The routes of Swarm services follow their tasks as Swarm moves them (task-follower-loop.ts). */
export const taskFollowerOnStart = {
  name: "task follower",
  run: async (): Promise<void> => {
    startTaskFollower();
  },
};
