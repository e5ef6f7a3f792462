import { env } from "../env";
import { errorMessage } from "../errors";
import { logger } from "../logger";
import { checkUpdates } from "./check-updates";

// Update detection in-process: a look every minute for instances whose last
// check is older than updates.intervalMinutes (Settings; off with
// updates.enabled=false, or with the other schedulers by WHARF_SCHEDULER=off).
// The next look starts only after the previous one finished.
const holder = globalThis as unknown as { __wharfUpdateScheduler?: { timer?: NodeJS.Timeout; stopped: boolean } };
const TICK_MS = 60_000;

export function startUpdateScheduler(): boolean {
  if (env().WHARF_SCHEDULER === "off" || holder.__wharfUpdateScheduler) return false;
  const state = (holder.__wharfUpdateScheduler = { stopped: false } as { timer?: NodeJS.Timeout; stopped: boolean });
  const schedule = () => {
    if (state.stopped) return;
    state.timer = setTimeout(tick, TICK_MS);
    state.timer.unref();
  };
  const tick = async () => {
    try {
      const results = await checkUpdates();
      const found = results.filter((r) => r.outcome === "available" || r.outcome === "deployed");
      if (found.length) logger.info({ op: "update-check", found: found.length, deployed: results.filter((r) => r.outcome === "deployed").length }, "image updates found");
    } catch (err) {
      logger.error({ op: "update-check", err: errorMessage(err) }, "update check run failed");
    }
    schedule();
  };
  schedule();
  return true;
}

export function stopUpdateScheduler(): void {
  if (!holder.__wharfUpdateScheduler) return;
  holder.__wharfUpdateScheduler.stopped = true;
  clearTimeout(holder.__wharfUpdateScheduler.timer);
  holder.__wharfUpdateScheduler = undefined;
}
