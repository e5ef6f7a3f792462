import { env } from "../env";
import { logger } from "../logger";
import { every, stopEvery } from "../scheduler/every";
import { checkUpdates } from "./check-updates";

// Update detection in-process: a look every minute for instances whose last
// check is older than updates.intervalMinutes (Settings; off with
// updates.enabled=false, or with the other schedulers by WHARF_SCHEDULER=off).
// The next look starts only after the previous one finished.
const KEY = "__wharfUpdateScheduler";
const TICK_MS = 60_000;

export function startUpdateScheduler(): boolean {
  if (env().WHARF_SCHEDULER === "off") return false;
  return every({
    key: KEY,
    intervalMs: () => TICK_MS,
    run: async () => {
      const results = await checkUpdates();
      const found = results.filter((r) => r.outcome === "available" || r.outcome === "deployed");
      if (found.length) logger.info({ op: "update-check", found: found.length, deployed: results.filter((r) => r.outcome === "deployed").length }, "image updates found");
    },
    op: "update-check",
    failed: "update check run failed",
  });
}

export function stopUpdateScheduler(): void {
  stopEvery(KEY);
}
