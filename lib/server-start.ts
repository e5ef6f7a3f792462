// Everything a server process starts with: ensureStarted() (data folder, secrets, migrations,
// first admin), then each module's start-up step, in this order: crash recovery first, then the
// loops. A step that fails is logged and the next one still runs. The steps are named here, not
// registered by their modules, so no module imports the start-up code to take part in it.
import { logger } from "./logger";
import { ensureStarted } from "./startup";
import { recoverDeploysOnStart, taskFollowerOnStart } from "./deployer/on-start";
import { syncSchedulerOnStart } from "./reconcile/on-start";
import { retentionOnStart } from "./retention/on-start";
import { updateSchedulerOnStart } from "./updates/on-start";
import { usageCollectorOnStart } from "./usage/on-start";
import { notifierOnStart } from "./notifications/on-start";
import { serverMonitorOnStart } from "./servers/on-start";

const STEPS = [recoverDeploysOnStart, syncSchedulerOnStart, retentionOnStart, updateSchedulerOnStart, usageCollectorOnStart, notifierOnStart, serverMonitorOnStart, taskFollowerOnStart];

export async function startServer(): Promise<void> {
  await ensureStarted();
  for (const step of STEPS) {
    try {
      await step.run();
    } catch (err) {
      logger.error({ op: "startup", step: step.name, err: (err as Error).message }, "start-up step failed");
    }
  }
}
