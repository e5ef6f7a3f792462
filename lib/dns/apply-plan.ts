import { errorMessage } from "../errors";
import type { ChangeResult, DnsProvider, RecordChange } from "./types";
import type { Plan } from "./reconcile-plan";
import { deleteRows, existingRows, markFailed, markPending, markSynced, type PendingRow, touchVerified } from "./ledger-bulk";

/** What happened to one record, as a line of the sync report. */
export interface AppliedLine {
  kind: "dns";
  name: string;
  action: "create" | "update" | "delete" | "forget";
  status: "ok" | "failed";
  message?: string;
}

export interface ApplyResult {
  created: number;
  updated: number;
  deleted: number;
  failed: number;
  lines: AppliedLine[];
}

type Pending = { fqdn: string; record: { type: string; content: string }; consumerType: string; consumerId: string };

/**
 * Executes a plan: ledger rows go `pending` first, then the provider applies
 * every change in bulk (batch endpoint where it has one, each change's
 * failure isolated), then each row becomes `synced` (provider read-back) or
 * `failed` with the provider's error.
 */
export async function applyPlan(opts: { plan: Plan; provider: DnsProvider }): Promise<ApplyResult> {
  const { plan, provider } = opts;
  const out: ApplyResult = { created: 0, updated: 0, deleted: 0, failed: 0, lines: [] };
  const pending = (c: Pending) =>
    ({ fqdn: c.fqdn, type: c.record.type, content: c.record.content, provider: provider.type, zone: provider.zone, consumerType: c.consumerType, consumerId: c.consumerId });

  // Phase 1: the intent on the ledger (`pending`), in bulk; a row inserted
  // meanwhile (a hook of a consumer created after the plan) is rewritten, not a failure.
  await markPending([...plan.creates, ...plan.updates].map(pending));
  const rows = countResults(await sendChanges(plan, provider), plan, out);
  await markSynced(rows.synced, provider.zone);
  await markFailed(rows.failed);
  await deleteRows(rows.removed);
  await confirmAlreadySynced(plan, pending, provider.zone);
  await deleteRows(plan.forget.map((f) => f.fqdn));
  for (const f of plan.forget) addLine(out, f.fqdn, "forget", true, f.reason);
  // A foreign record holds a name a consumer needs: say so on the consumer's existing row.
  await markFailed(plan.foreign.filter((x) => x.reason !== "unmarked-ledger").map((f) => ({ fqdn: f.fqdn, error: `a ${f.type} record not created by Wharf (${f.content}) holds this name` })));
  return out;
}

function addLine(out: ApplyResult, name: string, action: AppliedLine["action"], ok: boolean, message?: string) {
  out.lines.push({ kind: "dns", name, action, status: ok ? "ok" : "failed", ...(message ? { message } : {}) });
}

/** Every change of the plan in one bulk call; a call that throws fails each change with its error. */
async function sendChanges(plan: Plan, provider: DnsProvider): Promise<ChangeResult[]> {
  const changes: RecordChange[] = [
    // Deletes first: a CNAME cannot be created while a record of another type holds the name.
    ...plan.deletes.map((d): RecordChange => ({ op: "delete", id: d.id, fqdn: d.fqdn, type: d.type, content: d.content })),
    ...plan.updates.map((u): RecordChange => ({ op: "update", id: u.id, record: u.record })),
    ...plan.creates.map((c): RecordChange => ({ op: "create", record: c.record })),
  ];
  try {
    return changes.length ? await provider.applyChanges(changes) : [];
  } catch (err) {
    return changes.map((change) => ({ change, ok: false, error: errorMessage(err) }));
  }
}

/** Counts and reports each result, and sorts the ledger rows into synced, removed (their consumer is gone) and failed. */
function countResults(results: ChangeResult[], plan: Plan, out: ApplyResult) {
  const gone = new Set(plan.deletes.filter((d) => d.reason === "consumer-gone").map((d) => d.id));
  const synced: { fqdn: string; providerRecordId: string }[] = [];
  const removed: string[] = [];
  const failed: { fqdn: string; error: string }[] = [];
  for (const r of results) {
    const fqdn = r.change.op === "delete" ? r.change.fqdn : r.change.record.fqdn;
    if (r.change.op === "delete") {
      if (r.ok) {
        out.deleted++;
        if (gone.has(r.change.id)) removed.push(fqdn);
      } else {
        out.failed++;
        if (gone.has(r.change.id)) failed.push({ fqdn, error: r.error ?? "delete failed" });
      }
      addLine(out, fqdn, "delete", r.ok, r.error);
      continue;
    }
    if (r.ok && r.record) {
      synced.push({ fqdn, providerRecordId: r.record.id });
      if (r.change.op === "create") out.created++;
      else out.updated++;
    } else {
      out.failed++;
      failed.push({ fqdn, error: r.error ?? "not confirmed by the provider" });
    }
    addLine(out, fqdn, r.change.op, r.ok && !!r.record, r.error);
  }
  return { synced, removed, failed };
}

/**
 * Already right at the provider: rows that agree only get verified-at; the
 * few that do not (pending, failed, adopted, another record id) are rewritten.
 */
async function confirmAlreadySynced(plan: Plan, pending: (c: Pending) => PendingRow, zone: string): Promise<void> {
  const current = await existingRows(plan.alreadySynced.map((s) => s.fqdn));
  const agree = (s: (typeof plan.alreadySynced)[number]) => {
    const row = current.get(s.fqdn);
    return row && row.status === "synced" && row.providerRecordId === s.record.id && row.content === s.record.content && row.consumerId === s.consumerId;
  };
  await touchVerified(plan.alreadySynced.filter(agree).map((s) => s.fqdn));
  const rewrite = plan.alreadySynced.filter((x) => !agree(x));
  await markPending(rewrite.map(pending));
  await markSynced(rewrite.map((s) => ({ fqdn: s.fqdn, providerRecordId: s.record.id })), zone);
}
