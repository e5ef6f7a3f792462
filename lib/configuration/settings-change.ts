import type { Actor } from "../audit/record-event";
import { AppError } from "../errors";
import { operationLogger } from "../logger";
import { getSettings } from "../settings/get-settings";
import type { TSettings } from "../settings/schemas";
import { updateSettings } from "./update-settings";
import { runSync } from "../reconcile/run-sync";

/** Whether routes must be pushed again: another proxy, or upstreams addressed another way. */
export function proxyTargetChanged(before: TSettings, after: TSettings): boolean {
  return JSON.stringify([before.proxy, before.docker.network]) !== JSON.stringify([after.proxy, after.docker.network]);
}

/**
 * A settings change, then, when it moved the proxy or the upstream mode,
 * one sync so that existing instances and proxies are routed the new way
 * at once, without a redeploy (issue 24). A sync already running is left to
 * finish, and a sync that fails is logged, not reported as a failed save:
 * the next scheduled one re-routes.
 */
export async function updateSettingsAndReroute(opts: Parameters<typeof updateSettings>[0]): Promise<TSettings> {
  const before = await getSettings();
  const after = await updateSettings(opts);
  if (proxyTargetChanged(before, after) && after.proxy.provider) {
    // The settings are saved: a sync that cannot run now is not the save failing; the scheduler retries.
    await runSync({ trigger: "manual", actor: opts.actor }).catch((err: unknown) => {
      if (!(err instanceof AppError && err.code === "SYNC_IN_PROGRESS")) operationLogger({ op: "settings.reroute", consumer: "all" }).fail("sync", err);
    });
  }
  return after;
}
