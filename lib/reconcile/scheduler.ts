import { env } from "../env";
import { isAppError, errorMessage } from "../errors";
import { logger } from "../logger";
import { getSettings } from "../settings/get-settings";
import { pruneHistoryQuietly } from "../retention/prune-history";
import { every, stopEvery } from "../scheduler/every";
import { runSync } from "./run-sync";

// The in-process scheduler for self-hosted installs: the same job as the
// cron route, every sync.intervalMinutes (read again before each wait, so a
// change in Settings takes effect at the next tick). It never overlaps
// itself: the next wait starts only after the run finished. Off with WHARF_SCHEDULER=off.
const KEY = "__wharfScheduler";

export function startScheduler(): boolean {
  if (env().WHARF_SCHEDULER === "off") return false;
  const started = every({
    key: KEY,
    intervalMs: () => getSettings().then((s) => s.sync.intervalMinutes, () => 5).then((minutes) => minutes * 60_000),
    run: async () => {
      await runSync({ trigger: "scheduler" }).catch((err: unknown) => {
        // Another process (or the cron route) holding the lease is normal.
        if (!(isAppError(err) && err.code === "SYNC_IN_PROGRESS")) logger.error({ op: "scheduler", err: errorMessage(err) }, "scheduled sync failed");
      });
      await pruneHistoryQuietly("scheduler");
    },
    op: "scheduler",
    failed: "scheduled sync failed",
  });
  if (started) logger.info({ op: "scheduler" }, "sync scheduler started");
  return started;
}

export function stopScheduler(): void {
  stopEvery(KEY);
}
