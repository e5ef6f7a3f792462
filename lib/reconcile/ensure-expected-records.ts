import { isAppError, errorMessage } from "../errors";
import { operationLogger } from "../logger";
import type { Actor } from "../audit/record-event";
import { runSync } from "./run-sync";

/**
 * Right after DNS becomes managed somewhere new (managed mode switched on,
 * or a new provider or zone), the consumers that already exist get their
 * records now rather than at the next scheduled sync. This is the
 * reconciler's DNS pass (one listing, batched writes, stored as a sync run):
 * ensuring consumers one by one cost three requests each and ran a
 * Cloudflare token out of its budget at a few hundred consumers.
 */
export async function ensureExpectedRecords(opts: { actor: Actor }): Promise<{ synced: number; failed: number; notTried: number }> {
  const op = operationLogger({ op: "dns.populate" });
  try {
    const r = await runSync({ trigger: "manual", scope: "dns", actor: opts.actor });
    const counts = { synced: r.created + r.updated + r.alreadySynced, failed: r.failed, notTried: 0 };
    op.step("done", counts);
    return counts;
  } catch (err) {
    // A sync already running (scheduler, cron) reads the new settings on its next run.
    if (!(isAppError(err) && err.code === "SYNC_IN_PROGRESS")) op.fail("sync", errorMessage(err));
    return { synced: 0, failed: 0, notTried: -1 };
  }
}
