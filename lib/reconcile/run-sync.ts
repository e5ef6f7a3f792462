import { randomUUID } from "node:crypto";
import { db } from "../db";
import { AppError, errorMessage } from "../errors";
import { operationLogger } from "../logger";
import { recordEvent, SYSTEM_ACTOR, type Actor } from "../audit/record-event";
import { getDnsProvider } from "../dns/provider-for-settings";
import { getSettings } from "../settings/get-settings";
import { applyPlan } from "./apply";
import { expectedRecords, type ExpectedRecord } from "./expected-records";
import { reconcileInfrastructure } from "./infrastructure";
import { acquireLease, releaseLease, renewLease } from "./lease";
import { planReconcile, type Plan } from "./plan";
import type { ReportLine, SyncReport } from "./report";

export type SyncTrigger = "cron" | "manual" | "scheduler" | "cli";
const LEASE = "sync";
const LEASE_MS = 5 * 60_000;

/**
 * One full reconcile (SPEC §9): DNS (managed mode) then containers and
 * routes. One at a time across the process and across processes (a lease in
 * the database); a concurrent call gets SYNC_IN_PROGRESS (409) with the
 * running sync's id. Every run is stored with its report.
 */
export async function runSync(opts: { trigger: SyncTrigger; dryRun?: boolean; force?: boolean; actor?: Actor; scope?: "all" | "dns" }): Promise<SyncReport> {
  const id = randomUUID();
  const dryRun = opts.dryRun ?? false;
  const lease = await acquireLease(LEASE, id, LEASE_MS);
  if (!lease.ok) throw new AppError("SYNC_IN_PROGRESS", `a sync is already running (id ${lease.holder})`, { details: { syncId: lease.holder }, publicDetails: { syncId: lease.holder } });
  const renew = setInterval(() => void renewLease(LEASE, id, LEASE_MS).catch(() => undefined), LEASE_MS / 3);
  renew.unref();
  const started = Date.now();
  const op = operationLogger({ op: "sync", consumer: "all", sync: id, trigger: opts.trigger, dryRun });
  await db.syncRun.create({ data: { id, trigger: opts.trigger, dryRun, actor: opts.actor?.label ?? null } });
  try {
    const report = await reconcile({ id, trigger: opts.trigger, dryRun, force: opts.force ?? false, op, scope: opts.scope ?? "all" });
    report.durationMs = Date.now() - started;
    const status = report.failed || report.containers.failed || report.routes.failed ? "failed" : "succeeded";
    await db.syncRun.update({
      where: { id },
      data: { status, report: JSON.stringify(report), apiCalls: report.apiCalls, durationMs: report.durationMs, finishedAt: new Date(), error: report.blocked },
    });
    op.step("done", { created: report.created, updated: report.updated, deleted: report.deleted, failed: report.failed, apiCalls: report.apiCalls });
    if (!dryRun) await recordEvent({ actor: opts.actor ?? SYSTEM_ACTOR, action: "sync.run", target: opts.trigger, result: status === "succeeded" ? "ok" : "error", message: summarize(report) });
    return report;
  } catch (err) {
    await db.syncRun.update({ where: { id }, data: { status: "failed", error: errorMessage(err), durationMs: Date.now() - started, finishedAt: new Date() } });
    op.fail("sync", err);
    throw err;
  } finally {
    clearInterval(renew);
    await releaseLease(LEASE, id);
  }
}

function summarize(r: SyncReport): string {
  return `created ${r.created}, updated ${r.updated}, deleted ${r.deleted}, synced ${r.alreadySynced}, failed ${r.failed}, foreign ${r.foreign}; containers restarted ${r.containers.restarted}; routes repaired ${r.routes.repaired}`;
}

async function reconcile(o: { id: string; trigger: SyncTrigger; dryRun: boolean; force: boolean; op: ReturnType<typeof operationLogger>; scope: "all" | "dns" }): Promise<SyncReport> {
  const settings = await getSettings();
  const report: SyncReport = {
    id: o.id, trigger: o.trigger, mode: settings.dns.mode, created: 0, updated: 0, deleted: 0, alreadySynced: 0, failed: 0, foreign: 0,
    dryRun: o.dryRun, durationMs: 0, apiCalls: 0, blocked: null, containers: { restarted: 0, failed: 0 }, routes: { repaired: 0, failed: 0 },
    orphans: { containers: [], routes: [] }, lines: [],
  };
  const provider = getDnsProvider(settings);
  if (provider) {
    const before = provider.apiCalls;
    let expected: ExpectedRecord[] = [];
    let consumersListed = true;
    try {
      expected = await expectedRecords(settings);
    } catch (err) {
      consumersListed = false;
      o.op.fail("consumers", err);
    }
    try {
      const [records, ledger] = await Promise.all([provider.listRecords(), db.dnsRecord.findMany({ where: { provider: provider.type } })]);
      const plan = planReconcile(expected, records, ledger, { ttl: settings.dns.ttl, proxied: provider.type === "cloudflare" ? settings.dns.proxied : undefined, hasMarkers: provider.hasMarkers, consumersListed, force: o.force });
      report.alreadySynced = plan.alreadySynced.length;
      report.foreign = plan.foreign.length;
      report.blocked = plan.blocked?.reason ?? null;
      report.lines.push(...foreignLines(plan), ...blockedLines(plan));
      if (o.dryRun) {
        report.lines.push(...plannedLines(plan));
        report.created = plan.creates.length;
        report.updated = plan.updates.length;
        report.deleted = plan.deletes.length;
      } else {
        const applied = await applyPlan({ plan, provider });
        Object.assign(report, { created: applied.created, updated: applied.updated, deleted: applied.deleted, failed: applied.failed });
        report.lines.push(...applied.lines);
      }
    } catch (err) {
      report.failed++;
      report.lines.push({ kind: "dns", name: provider.type, action: "synced", status: "failed", message: errorMessage(err) });
    }
    report.apiCalls = provider.apiCalls - before;
  }
  if (o.scope === "dns") return report;
  const infra = await reconcileInfrastructure({ settings, dryRun: o.dryRun });
  report.containers = infra.containers;
  report.routes = infra.routes;
  report.orphans = infra.orphans;
  report.lines.push(...infra.lines);
  return report;
}

const plannedLines = (p: Plan): ReportLine[] => [
  ...p.creates.map((c): ReportLine => ({ kind: "dns", name: c.fqdn, action: "create", status: "planned", message: `${c.record.type} ${c.record.content}` })),
  ...p.updates.map((u): ReportLine => ({ kind: "dns", name: u.fqdn, action: "update", status: "planned", message: `${u.from} → ${u.record.content}` })),
  ...p.deletes.map((d): ReportLine => ({ kind: "dns", name: d.fqdn, action: "delete", status: "planned", message: d.reason })),
  ...p.forget.map((f): ReportLine => ({ kind: "dns", name: f.fqdn, action: "forget", status: "planned", message: f.reason })),
];
const foreignLines = (p: Plan): ReportLine[] =>
  p.foreign.map((f) => ({ kind: "dns", name: f.fqdn, action: "foreign", status: "skipped", message: `${f.type} ${f.content} (${f.reason}): not Wharf's, left untouched` }));
const blockedLines = (p: Plan): ReportLine[] =>
  (p.blocked?.deletes ?? []).map((d) => ({ kind: "dns", name: d.fqdn, action: "blocked", status: "skipped", message: p.blocked!.reason }));
