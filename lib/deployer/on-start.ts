import { consumerLeaseTimings } from "../consumers/consumer-lease";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { recoverInstances } from "./recover-instances";

// The deployer's start-up step: finish or compensate operations a crash interrupted.
// A process restarted right after a crash finds its dead jobs' leases not yet expired (they
// could belong to a live replica), so the sweep runs once more after the lease TTL.
export const recoverDeploysOnStart = {
  name: "recover deploys",
  run: async (): Promise<void> => {
    await recoverInstances();
    const again = setTimeout(() => {
      recoverInstances().catch((err: unknown) => logger.error({ op: "recover", err: errorMessage(err) }, "delayed recovery failed"));
    }, consumerLeaseTimings().ttlMs + 1_000);
    again.unref();
  },
};
