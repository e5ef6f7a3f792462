import { randomUUID } from "node:crypto";
import { db } from "../db";
import { envNumber } from "../env";
import { AppError, errorMessage } from "../errors";
import { operationLogger } from "../logger";
import { recordEvent, SYSTEM_ACTOR, type Actor } from "../audit/record-event";
import { getDnsProvider } from "../dns/provider-for-settings";
import { getSettings } from "../settings/get-settings";
import { reconcileInfrastructure } from "./infrastructure";
import { checkCertificates } from "./certificates";
import { checkDomains } from "./custom-domains";
import { acquireLease, releaseLease, renewLease } from "../db/lease";
import { reconcileDns } from "./reconcile-dns";
import { emitEvent, emitEventQuietly } from "../outbox/emit-event";
import { syncEvents, syncThrewEvent } from "../outbox/sync-events";
import { observeSync } from "../metrics/registry";
import type { SyncReport } from "./report";

export type SyncTrigger = "cron" | "manual" | "scheduler" | "cli";
const LEASE = "sync";
const leaseMs = () => envNumber("WHARF_SYNC_LEASE_MS", 60_000);
const INTERRUPTED = "interrupted: the process running this sync stopped before it finished";

/**
 * One full reconcile (SPEC §9): DNS (managed mode) then containers and
 * routes. One at a time across the process and across processes (a lease in
 * the database, renewed while the run lives); a concurrent call gets
 * SYNC_IN_PROGRESS (409) with the running sync's id. Every run is stored
 * with its report. The lease, the run row and the release are one
 * try/finally: a failing insert cannot leave the lease renewing for ever.
 */
export async function runSync(opts: { trigger: SyncTrigger; dryRun?: boolean; force?: boolean; actor?: Actor; scope?: "all" | "dns" }): Promise<SyncReport> {
  const id = randomUUID();
  const dryRun = opts.dryRun ?? false;
  const ttl = leaseMs();
  const lease = await acquireLease(LEASE, id, ttl);
  if (!lease.ok) throw new AppError("SYNC_IN_PROGRESS", `a sync is already running (id ${lease.holder})`, { details: { syncId: lease.holder }, publicDetails: { syncId: lease.holder } });
  const op = operationLogger({ op: "sync", consumer: "all", sync: id, trigger: opts.trigger, dryRun });
  const renew = setInterval(() => void renewLease(LEASE, id, ttl).catch((err: unknown) => op.fail("lease", err)), Math.max(1_000, ttl / 6));
  renew.unref();
  const started = Date.now();
  let created = false;
  try {
    // Holding the lease, no other sync runs: a row still `running` belongs to a sync whose process died.
    await db.syncRun.updateMany({ where: { status: "running", id: { not: id } }, data: { status: "interrupted", error: INTERRUPTED, finishedAt: new Date() } });
    await db.syncRun.create({ data: { id, trigger: opts.trigger, dryRun, actor: opts.actor?.label ?? null } });
    created = true;
    const report = await reconcile({ id, trigger: opts.trigger, dryRun, force: opts.force ?? false, op, scope: opts.scope ?? "all" });
    report.durationMs = Date.now() - started;
    const status = report.failed || report.containers.failed || report.routes.failed ? "failed" : "succeeded";
    await db.$transaction(async (tx) => {
      await tx.syncRun.update({
        where: { id },
        data: { status, report: JSON.stringify(report), summary: summarize(report), apiCalls: report.apiCalls, durationMs: report.durationMs, finishedAt: new Date(), error: report.blocked },
      });
      if (!dryRun) for (const e of syncEvents(report, summarize(report))) await emitEvent(tx, e);
    });
    if (!dryRun) observeSync(status, report.durationMs / 1000);
    op.step("done", { created: report.created, updated: report.updated, deleted: report.deleted, failed: report.failed, skipped: report.skipped.length, apiCalls: report.apiCalls });
    if (!dryRun) await recordEvent({ actor: opts.actor ?? SYSTEM_ACTOR, action: "sync.run", target: opts.trigger, result: status === "succeeded" ? "ok" : "error", message: summarize(report) });
    return report;
  } catch (err) {
    if (created) {
      await db.syncRun.update({ where: { id }, data: { status: "failed", error: errorMessage(err), durationMs: Date.now() - started, finishedAt: new Date() } }).catch((e: unknown) => op.fail("run-row", e));
    }
    if (!dryRun) {
      await emitEventQuietly(syncThrewEvent(errorMessage(err)));
      observeSync("failed", (Date.now() - started) / 1000);
    }
    op.fail("sync", err);
    throw err;
  } finally {
    clearInterval(renew);
    await releaseLease(LEASE, id);
  }
}

export function summarize(r: Pick<SyncReport, "created" | "updated" | "deleted" | "alreadySynced" | "failed" | "foreign" | "containers" | "routes"> & { skipped?: unknown[] }): string {
  const skipped = r.skipped?.length ? `; skipped (busy) ${r.skipped.length}` : "";
  return `created ${r.created}, updated ${r.updated}, deleted ${r.deleted}, synced ${r.alreadySynced}, failed ${r.failed}, foreign ${r.foreign}; containers restarted ${r.containers.restarted}; routes repaired ${r.routes.repaired}${skipped}`;
}

async function reconcile(o: { id: string; trigger: SyncTrigger; dryRun: boolean; force: boolean; op: ReturnType<typeof operationLogger>; scope: "all" | "dns" }): Promise<SyncReport> {
  const settings = await getSettings();
  const report: SyncReport = {
    id: o.id, trigger: o.trigger, mode: settings.dns.mode, created: 0, updated: 0, deleted: 0, alreadySynced: 0, failed: 0, foreign: 0,
    dryRun: o.dryRun, durationMs: 0, apiCalls: 0, blocked: null, containers: { restarted: 0, failed: 0 }, routes: { repaired: 0, failed: 0 },
    orphans: { containers: [], routes: [] }, skipped: [], lines: [],
  };
  const provider = getDnsProvider(settings);
  if (provider) {
    const before = provider.apiCalls;
    await reconcileDns({ settings, provider, dryRun: o.dryRun, force: o.force, report, op: o.op });
    report.apiCalls = provider.apiCalls - before;
  }
  if (o.scope === "dns") return report;
  const infra = await reconcileInfrastructure({ settings, dryRun: o.dryRun });
  report.containers = infra.containers;
  report.routes = infra.routes;
  report.orphans = infra.orphans;
  report.skipped.push(...infra.skipped);
  report.lines.push(...infra.lines);
  // After routes: a route re-created just now carries its TLS policy again.
  const certs = await checkCertificates({ settings, dryRun: o.dryRun });
  report.certificates = { checked: certs.checked, retried: certs.retried, issued: certs.issued, failed: certs.failed, expiring: certs.expiring };
  report.lines.push(...certs.lines);
  report.skipped.push(...certs.skipped);
  // After certificates: custom hosts ride on the instance routes repaired above.
  const domains = await checkDomains({ settings, dryRun: o.dryRun });
  report.domains = { checked: domains.checked, routed: domains.routed, misconfigured: domains.misconfigured, unrouted: domains.unrouted, failed: domains.failed };
  report.lines.push(...domains.lines);
  report.skipped.push(...domains.skipped);
  return report;
}
