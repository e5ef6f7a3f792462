import { hostname } from "node:os";
import { env } from "../env";
import { logger } from "../logger";
import { acquireLease, renewLease } from "../db/lease";
import { every, stopEvery } from "../scheduler/every";
import { collectUsageOnce, newCollectorState } from "./collect-usage";

// The in-process usage collector: every WHARF_USAGE_INTERVAL_S (default 15 s;
// 0 = off). Several Wharf processes on one database elect one collector
// through a lease, so samples are not written twice.
const LEASE = "usage-collector";
const KEY = "__wharfUsage";
const me = `${hostname()}:${process.pid}`;

export function startUsageCollector(): boolean {
  const seconds = env().WHARF_USAGE_INTERVAL_S;
  if (seconds === 0) return false;
  const state = newCollectorState();
  const ttl = seconds * 3000;
  const started = every({
    key: KEY,
    intervalMs: () => seconds * 1000,
    run: async () => {
      const lease = await acquireLease(LEASE, me, ttl);
      const mine = lease.ok || (lease.holder === me && (await renewLease(LEASE, me, ttl)));
      if (mine) await collectUsageOnce({ state });
    },
    op: "usage",
    failed: "usage collection failed",
  });
  if (started) logger.info({ op: "usage", intervalSeconds: seconds }, "usage collector started");
  return started;
}

export function stopUsageCollector(): void {
  stopEvery(KEY);
}
