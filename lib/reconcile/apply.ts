import { db } from "../db";
import { errorMessage } from "../errors";
import type { ChangeResult, DnsProvider, RecordChange } from "../dns/types";
import type { Plan } from "./plan";
import type { ReportLine } from "./report";

export interface ApplyResult {
  created: number;
  updated: number;
  deleted: number;
  failed: number;
  lines: ReportLine[];
}

/**
 * Executes a plan: ledger rows go `pending` first, then the provider applies
 * every change in bulk (batch endpoint where it has one, each change's
 * failure isolated), then each row becomes `synced` (provider read-back) or
 * `failed` with the provider's error.
 */
export async function applyPlan(opts: { plan: Plan; provider: DnsProvider }): Promise<ApplyResult> {
  const { plan, provider } = opts;
  const out: ApplyResult = { created: 0, updated: 0, deleted: 0, failed: 0, lines: [] };
  const line = (name: string, action: ReportLine["action"], ok: boolean, message?: string) =>
    out.lines.push({ kind: "dns", name, action, status: ok ? "ok" : "failed", ...(message ? { message } : {}) });

  for (const c of [...plan.creates, ...plan.updates]) {
    const base = { type: c.record.type, content: c.record.content, provider: provider.type, zone: provider.zone, consumerType: c.consumerType, consumerId: c.consumerId };
    await db.dnsRecord.upsert({ where: { fqdn: c.fqdn }, create: { fqdn: c.fqdn, ...base, status: "pending" }, update: { ...base, status: "pending" } });
  }
  const changes: RecordChange[] = [
    // Deletes first: a CNAME cannot be created while a record of another type holds the name.
    ...plan.deletes.map((d): RecordChange => ({ op: "delete", id: d.id, fqdn: d.fqdn, type: d.type, content: d.content })),
    ...plan.updates.map((u): RecordChange => ({ op: "update", id: u.id, record: u.record })),
    ...plan.creates.map((c): RecordChange => ({ op: "create", record: c.record })),
  ];
  let results: ChangeResult[];
  try {
    results = changes.length ? await provider.applyChanges(changes) : [];
  } catch (err) {
    results = changes.map((change) => ({ change, ok: false, error: errorMessage(err) }));
  }
  const gone = new Set(plan.deletes.filter((d) => d.reason === "consumer-gone").map((d) => d.id));
  for (const r of results) {
    const fqdn = r.change.op === "delete" ? r.change.fqdn : r.change.record.fqdn;
    if (r.change.op === "delete") {
      if (r.ok) {
        out.deleted++;
        if (gone.has(r.change.id)) await db.dnsRecord.deleteMany({ where: { fqdn } });
      } else {
        out.failed++;
        if (gone.has(r.change.id)) await db.dnsRecord.updateMany({ where: { fqdn }, data: { status: "failed", lastError: r.error ?? "delete failed" } });
      }
      line(fqdn, "delete", r.ok, r.error);
      continue;
    }
    if (r.ok && r.record) {
      await db.dnsRecord.update({ where: { fqdn }, data: { status: "synced", providerRecordId: r.record.id, zone: provider.zone, verifiedAt: new Date(), lastError: null } });
      if (r.change.op === "create") out.created++;
      else out.updated++;
    } else {
      out.failed++;
      await db.dnsRecord.update({ where: { fqdn }, data: { status: "failed", lastError: (r.error ?? "not confirmed by the provider").slice(0, 1000) } });
    }
    line(fqdn, r.change.op, r.ok && !!r.record, r.error);
  }

  const now = new Date();
  for (const s of plan.alreadySynced) {
    const data = { type: s.record.type, content: s.record.content, provider: provider.type, zone: provider.zone, consumerType: s.consumerType, consumerId: s.consumerId, providerRecordId: s.record.id, status: "synced", verifiedAt: now, lastError: null };
    await db.dnsRecord.upsert({ where: { fqdn: s.fqdn }, create: { fqdn: s.fqdn, ...data }, update: data });
  }
  for (const f of plan.forget) {
    await db.dnsRecord.deleteMany({ where: { fqdn: f.fqdn } });
    line(f.fqdn, "forget", true, f.reason);
  }
  // A foreign record holds a name a consumer needs: say so on the consumer's existing row.
  for (const f of plan.foreign.filter((x) => x.reason !== "unmarked-ledger")) {
    await db.dnsRecord.updateMany({ where: { fqdn: f.fqdn }, data: { status: "failed", lastError: `a ${f.type} record not created by Wharf (${f.content}) holds this name` } });
  }
  return out;
}
