import { recordEvent, type Actor } from "../audit/record-event";
import { AppError } from "../errors";
import { operationLogger } from "../logger";
import type { TSettings } from "../settings/schemas";
import type { TDnsCleanupPlan } from "./plan-provider-switch";
import { db } from "../db";
import { dnsProviderFor, dnsProviderForZoneName } from "./provider-for-settings";
import { removeLedgerRow } from "./remove-ledger-row";

export interface TDnsCleanupReport {
  removed: string[];
  failed: { fqdn: string; error: string }[];
}

/**
 * Removes the planned rows' records at the OLD provider (`current`'s
 * configuration, which the caller has not replaced yet), one by one with the
 * same rules as every other removal. A record that cannot be removed keeps
 * its ledger row, `failed` with the provider's error: nothing is forgotten.
 * Audited as one `dns.cleanup` event.
 */
export async function removeRecordsAtOldProvider(opts: { actor: Actor; current: TSettings; plan: TDnsCleanupPlan }): Promise<TDnsCleanupReport> {
  const config = opts.current.dns.provider;
  if (!config) throw new AppError("INTERNAL", "no DNS provider to clean up at");
  const provider = dnsProviderFor(config);
  const op = operationLogger({ op: "dns.cleanup", provider: config.type, records: opts.plan.records.length });
  const report: TDnsCleanupReport = { removed: [], failed: [] };
  for (const r of opts.plan.records) {
    // A custom domain's CNAME (owner `domain`, issue 25) is in that domain's zone of the provider: deleted there.
    const row = await db.dnsRecord.findUnique({ where: { id: r.id }, select: { consumerType: true, zone: true } });
    const at = row?.consumerType === "domain" ? await dnsProviderForZoneName(config, row.zone).catch(() => null) : provider;
    const res = await removeLedgerRow({ id: r.id, provider: at });
    if (res.ok) report.removed.push(r.fqdn);
    else report.failed.push({ fqdn: r.fqdn, error: res.error });
  }
  op.step("done", { removed: report.removed.length, failed: report.failed.length });
  const where = `${config.type}${opts.plan.zone ? ` (zone ${opts.plan.zone})` : ""}`;
  await recordEvent({
    actor: opts.actor,
    action: "dns.cleanup",
    target: where,
    result: report.failed.length ? "error" : "ok",
    message:
      `${opts.plan.reason}: removed ${report.removed.length} of ${opts.plan.records.length} records` +
      (report.removed.length ? ` (${report.removed.join(", ")})` : "") +
      (report.failed.length ? `; failed: ${report.failed.map((f) => `${f.fqdn}: ${f.error}`).join("; ")}` : ""),
  });
  return report;
}

/** The error when some records could not be removed: the settings change is then not saved. */
export function cleanupFailedError(report: TDnsCleanupReport, provider: string): AppError {
  const total = report.removed.length + report.failed.length;
  const list = report.failed.map((f) => `${f.fqdn}: ${f.error}`).join("; ");
  return new AppError(
    "PROVIDER_ERROR",
    `Could not remove ${report.failed.length} of ${total} records from ${provider}, so the DNS settings were not changed: ${list}. ` +
      "They stay in the ledger as failed; fix the provider and try again.",
    { details: { dnsCleanup: report } },
  );
}
