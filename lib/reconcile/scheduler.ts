import { env } from "../env";
import { isAppError, errorMessage } from "../errors";
import { logger } from "../logger";
import { getSettings } from "../settings/get-settings";
import { pruneHistoryQuietly } from "../retention/prune-history";
import { runSync } from "./run-sync";

// The in-process scheduler for self-hosted installs: the same job as the
// cron route, every sync.intervalMinutes (read again before each wait, so a
// change in Settings takes effect at the next tick). It never overlaps
// itself: the next wait starts only after the run finished. Off with WHARF_SCHEDULER=off.
const holder = globalThis as unknown as { __wharfScheduler?: { timer?: NodeJS.Timeout; stopped: boolean } };

export function startScheduler(): boolean {
  if (env().WHARF_SCHEDULER === "off" || holder.__wharfScheduler) return false;
  const state = (holder.__wharfScheduler = { stopped: false } as { timer?: NodeJS.Timeout; stopped: boolean });
  const schedule = async () => {
    if (state.stopped) return;
    const minutes = await getSettings().then((s) => s.sync.intervalMinutes, () => 5);
    state.timer = setTimeout(tick, minutes * 60_000);
    state.timer.unref();
  };
  const tick = async () => {
    try {
      await runSync({ trigger: "scheduler" });
    } catch (err) {
      // Another process (or the cron route) holding the lease is normal.
      if (!(isAppError(err) && err.code === "SYNC_IN_PROGRESS")) logger.error({ op: "scheduler", err: errorMessage(err) }, "scheduled sync failed");
    }
    await pruneHistoryQuietly("scheduler");
    await schedule();
  };
  void schedule();
  logger.info({ op: "scheduler" }, "sync scheduler started");
  return true;
}

export function stopScheduler(): void {
  if (!holder.__wharfScheduler) return;
  holder.__wharfScheduler.stopped = true;
  clearTimeout(holder.__wharfScheduler.timer);
  holder.__wharfScheduler = undefined;
}
