import { holderOperation, tryWithConsumer } from "../consumers/consumer-lease";
import { db } from "../db";
import { errorMessage } from "../errors";
import type { ReportLine, SkippedConsumer } from "./report";
import type { TSettings } from "../settings/schemas";
import { removeOrphanDomainDns } from "../domains/domain-dns";
import type { ZoneCache } from "../domains/managed-zone";
import { processDomain } from "../domains/process-domain";
import { domainGraceMs, domainTimeouts } from "../domains/timeouts";

export interface DomainReport {
  checked: number;
  routed: number;
  misconfigured: number;
  unrouted: number;
  failed: number;
  lines: ReportLine[];
  skipped: SkippedConsumer[];
}

/**
 * The reconciler's domain pass (SPEC §14): due domains get one
 * processDomain pass each under their instance's lease (busy instances are
 * skipped, left for the next run):
 * - active and misconfigured ones not validated for `recheckMs` (hourly) are
 *   re-validated; a misconfigured one past its grace period is unrouted;
 * - failed ones whose backoff is due are tried again, pending ones whose job
 *   never ran (its process stopped, or the instance stayed busy) are started;
 * - removals that failed are retried; rows a crashed job left mid-way are
 *   compensated;
 * - CNAMEs Wharf wrote for domains that are gone (their delete failed) are
 *   deleted. The DNS provider's zones are listed once for the whole pass.
 * `domainIds` restricts the pass (tests; "Check now" uses a job instead).
 */
export async function checkDomains(opts: { settings: TSettings; dryRun?: boolean; now?: Date; domainIds?: string[] }): Promise<DomainReport> {
  const report: DomainReport = { checked: 0, routed: 0, misconfigured: 0, unrouted: 0, failed: 0, lines: [], skipped: [] };
  const now = opts.now ?? new Date();
  const stale = new Date(now.getTime() - domainTimeouts().recheckMs);
  const grace = new Date(now.getTime() - domainGraceMs(opts.settings));
  const due = await db.customDomain.findMany({
    where: {
      ...(opts.domainIds ? { id: { in: opts.domainIds } } : {}),
      OR: [
        { state: { in: ["active", "misconfigured"] }, OR: [{ checkedAt: null }, { checkedAt: { lte: stale } }] },
        { state: "misconfigured", misconfiguredSince: { lte: grace } },
        { state: { in: ["failed", "removing"] }, OR: [{ retryAt: null }, { retryAt: { lte: now } }] },
        { state: { in: ["pending", "validating", "routing"] }, updatedAt: { lte: new Date(now.getTime() - 5_000) } },
      ],
    },
    select: { id: true, domain: true, instanceId: true },
    orderBy: { domain: "asc" },
  });
  const zones: ZoneCache = new Map();
  for (const d of due) {
    if (opts.dryRun) report.lines.push({ kind: "domain", name: d.domain, action: "domain", status: "planned", message: "due for validation" });
    else await checkOne(d, opts.settings, report, zones);
  }
  if (!opts.dryRun && !opts.domainIds) {
    const orphans = await removeOrphanDomainDns({ settings: opts.settings });
    for (const f of orphans.failed) report.lines.push({ kind: "domain", name: f.fqdn, action: "domain", status: "failed", message: `the CNAME of a removed domain: ${f.error}` });
  }
  return report;
}

/** One due domain: a processDomain pass under its instance's lease, or skipped while the instance is busy. */
async function checkOne(d: { id: string; domain: string; instanceId: string }, settings: TSettings, report: DomainReport, zones: ZoneCache): Promise<void> {
  const line = (status: ReportLine["status"], message: string) => report.lines.push({ kind: "domain", name: d.domain, action: "domain", status, message });
  const got = await tryWithConsumer({ consumer: { type: "instance", id: d.instanceId }, operation: "sync" }, async (lease) => {
    report.checked++;
    try {
      const pass = await processDomain({ domainId: d.id, settings, signal: lease.signal, zones });
      const row = await db.customDomain.findUnique({ where: { id: d.id }, select: { state: true, reason: true } });
      if (pass === "routed" || pass === "active") report.routed++;
      if (pass === "misconfigured") report.misconfigured++;
      if (pass === "unrouted") report.unrouted++;
      if (pass === "failed") report.failed++;
      line(pass === "failed" || pass === "misconfigured" || pass === "unrouted" ? "failed" : "ok", `${pass}${row?.reason ? `: ${row.reason}` : ""}`);
    } catch (err) {
      report.failed++;
      line("failed", errorMessage(err));
    }
  });
  if ("busy" in got) {
    const reason = `busy: ${holderOperation(got.busy)}`;
    report.skipped.push({ consumer: `instance:${d.instanceId}`, name: d.domain, reason });
    line("skipped", `${reason}: left for the next run`);
  }
}
