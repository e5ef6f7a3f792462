import { hostname } from "node:os";
import { env } from "../env";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { acquireLease, renewLease } from "../db/lease";
import { collectUsageOnce, newCollectorState } from "./collect-usage";

// The in-process usage collector: every WHARF_USAGE_INTERVAL_S (default 15 s;
// 0 = off). Several Wharf processes on one database elect one collector
// through a lease, so samples are not written twice.
const LEASE = "usage-collector";
const holder = globalThis as unknown as { __wharfUsage?: { timer?: NodeJS.Timeout; stopped: boolean } };
const me = `${hostname()}:${process.pid}`;

export function startUsageCollector(): boolean {
  const seconds = env().WHARF_USAGE_INTERVAL_S;
  if (seconds === 0 || holder.__wharfUsage) return false;
  const run = (holder.__wharfUsage = { stopped: false } as { timer?: NodeJS.Timeout; stopped: boolean });
  const state = newCollectorState();
  const ttl = seconds * 3000;
  const tick = async () => {
    try {
      const lease = await acquireLease(LEASE, me, ttl);
      const mine = lease.ok || (lease.holder === me && (await renewLease(LEASE, me, ttl)));
      if (mine) await collectUsageOnce({ state });
    } catch (err) {
      logger.error({ op: "usage", err: errorMessage(err) }, "usage collection failed");
    }
    if (run.stopped) return;
    run.timer = setTimeout(tick, seconds * 1000);
    run.timer.unref();
  };
  run.timer = setTimeout(tick, seconds * 1000);
  run.timer.unref();
  logger.info({ op: "usage", intervalSeconds: seconds }, "usage collector started");
  return true;
}

export function stopUsageCollector(): void {
  if (!holder.__wharfUsage) return;
  holder.__wharfUsage.stopped = true;
  clearTimeout(holder.__wharfUsage.timer);
  holder.__wharfUsage = undefined;
}
