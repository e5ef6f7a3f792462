import { recordEvent, type Actor } from "../audit/record-event";
import { operationLogger } from "../logger";
import { expectedRecords } from "../reconcile/expected-records";
import type { TSettings } from "../settings/schemas";
import { ensureConsumerDns } from "./hooks";

/** Provider errors that say "nobody is answering": the remaining records would only wait for the same failure. */
const UNREACHABLE = new Set(["UNAVAILABLE", "TIMEOUT", "RATE_LIMITED"]);

/**
 * Right after DNS becomes managed somewhere new (managed mode switched on,
 * or a new provider or zone), the consumers that already exist get their
 * records through the same ensure hook a deploy uses; otherwise they would
 * wait for the next sync. Best-effort like every hook: failures end up on
 * the ledger rows and the reconciler repairs them. Stops early when the
 * provider is unreachable so a settings save does not wait out one retry
 * cycle per consumer.
 */
export async function ensureExpectedRecords(opts: { actor: Actor; settings: TSettings }): Promise<{ synced: number; failed: number; notTried: number }> {
  const op = operationLogger({ op: "dns.populate" });
  const counts = { synced: 0, failed: 0, notTried: 0 };
  let wanted: Awaited<ReturnType<typeof expectedRecords>>;
  try {
    wanted = await expectedRecords(opts.settings);
  } catch (err) {
    op.fail("expected", err);
    return counts;
  }
  let firstError: string | undefined;
  for (const [i, rec] of wanted.entries()) {
    const res = await ensureConsumerDns({ consumer: { type: rec.consumerType, id: rec.consumerId }, fqdn: rec.fqdn, settings: opts.settings });
    if (res.status === "synced") counts.synced++;
    else if (res.status === "failed") {
      counts.failed++;
      firstError ??= `${rec.fqdn}: ${res.error}`;
      if (res.code && UNREACHABLE.has(res.code)) {
        counts.notTried = wanted.length - i - 1;
        break;
      }
    }
  }
  op.step("done", counts);
  if (wanted.length) {
    await recordEvent({
      actor: opts.actor,
      action: "dns.populate",
      target: opts.settings.dns.provider?.type ?? null,
      result: counts.failed ? "error" : "ok",
      message: `${counts.synced} synced, ${counts.failed} failed, ${counts.notTried} left for the next sync${firstError ? `; first failure: ${firstError}` : ""}`,
    });
  }
  return counts;
}
