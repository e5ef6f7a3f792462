import type Cloudflare from "cloudflare";
import { AppError, errorMessage } from "../errors";
import { logger } from "../logger";
import { isWharfMarker, normalizeFqdn } from "../naming";
import type { CloudflareProvider } from "./cloudflare";
import { CF_COMMENT_MAX, type CfRecord, cfBody, cfMatches, toProviderRecord } from "./cloudflare-client";
import { inZone, sameContent, validateDesired } from "./content";
import type { ChangeResult, DesiredRecord, RecordChange } from "./types";

type BatchParams = Parameters<Cloudflare["dns"]["records"]["batch"]>[0];
type UpdateParams = Parameters<Cloudflare["dns"]["records"]["update"]>[1];

/** One request-level operation; a change may need several (a delete of duplicates) or be handed to ensureRecord. */
type Op =
  | { kind: "delete"; idx: number; id: string }
  | { kind: "put"; idx: number; id: string; rec: DesiredRecord }
  | { kind: "post"; idx: number; rec: DesiredRecord }
  | { kind: "ensure"; idx: number; rec: DesiredRecord };

const ORDER = { delete: 0, put: 1, post: 2, ensure: 3 } as const;
const log = logger.child({ provider: "cloudflare", op: "applyChanges" });

function foreign(r: CfRecord): AppError {
  return new AppError("FOREIGN_RESOURCE", `${normalizeFqdn(r.name)} has a ${r.type} record (${r.content}) that Wharf did not create`);
}

/**
 * A listing indexed once by id and by normalised name: looking each change up
 * by scanning the whole zone made 10,000 changes against 10,000 records
 * quadratic (seconds of CPU per sync).
 */
class Listing {
  readonly byId = new Map<string, CfRecord>();
  private readonly byName = new Map<string, CfRecord[]>();
  constructor(records: CfRecord[]) {
    for (const r of records) {
      this.byId.set(r.id, r);
      const name = normalizeFqdn(r.name);
      const list = this.byName.get(name);
      if (list) list.push(r);
      else this.byName.set(name, [r]);
    }
  }
  at(fqdn: string): CfRecord[] {
    return this.byName.get(fqdn) ?? [];
  }
}

/** Decides, from one listing of the zone, what a change needs; throws for a change that must not be sent. */
function plan(change: RecordChange, idx: number, zone: string, all: Listing): Op[] {
  if (change.op === "delete") {
    const byId = all.byId.get(change.id);
    if (byId && !isWharfMarker(byId.comment)) throw foreign(byId);
    const fqdn = normalizeFqdn(change.fqdn);
    const ours = all.at(fqdn).filter((r) => r.type === change.type && isWharfMarker(r.comment));
    const ids = new Set([...(byId ? [byId.id] : []), ...ours.map((r) => r.id)]);
    return [...ids].map((id) => ({ kind: "delete", idx, id }));
  }
  const rec = validateDesired(change.record);
  if (rec.marker.length > CF_COMMENT_MAX) throw new AppError("VALIDATION", `ownership marker is longer than ${CF_COMMENT_MAX} characters`);
  if (!inZone(rec.fqdn, zone)) throw new AppError("VALIDATION", `${rec.fqdn} is not inside the zone ${zone}`);
  const inWay = all.at(rec.fqdn).filter((r) => (r.type === rec.type || r.type === "CNAME" || rec.type === "CNAME") && ["A", "AAAA", "CNAME"].includes(r.type));
  const alien = inWay.find((r) => !isWharfMarker(r.comment));
  if (alien) throw foreign(alien);
  const target = change.op === "update" ? all.byId.get(change.id) : undefined;
  if (target && !isWharfMarker(target.comment)) throw foreign(target);
  const candidates = target ? [target, ...inWay.filter((r) => r !== target)] : inWay;
  if (candidates.length === 0) return [{ kind: "post", idx, rec }];
  if (candidates.length === 1) {
    const only = candidates[0];
    return cfMatches(only, rec) ? [] : [{ kind: "put", idx, id: only.id, rec }];
  }
  // Duplicates or a type conflict: ensureRecord knows how to untangle them.
  return [{ kind: "ensure", idx, rec }];
}

function desiredOf(change: RecordChange): DesiredRecord | null {
  return change.op === "delete" ? null : validateDesired(change.record);
}

/**
 * Bulk changes through POST /zones/{id}/dns_records/batch. A batch is
 * all-or-nothing at Cloudflare, so one bad change fails its whole chunk:
 * such a chunk is replayed one request per operation, isolating each
 * change's own failure. Everything is read back with one listing at the end.
 */
export async function applyCloudflareChanges(p: CloudflareProvider, changes: RecordChange[]): Promise<ChangeResult[]> {
  const zone = await p.resolveZone();
  const errors = new Map<number, string>();
  const before = new Listing(await p.listAll());
  const ops: Op[] = [];
  changes.forEach((change, idx) => {
    try {
      ops.push(...plan(change, idx, zone, before));
    } catch (err) {
      errors.set(idx, errorMessage(err));
    }
  });
  ops.sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
  const batchable = ops.filter((o) => o.kind !== "ensure");
  for (let i = 0; i < batchable.length; i += p.batchSize) {
    const chunk = batchable.slice(i, i + p.batchSize);
    try {
      await sendBatch(p, chunk);
    } catch (err) {
      log.warn({ size: chunk.length, err: errorMessage(err) }, "batch refused; applying its changes one by one");
      for (const op of chunk) await runSingle(p, op).catch((e) => errors.set(op.idx, errorMessage(e)));
    }
  }
  for (const op of ops.filter((o) => o.kind === "ensure")) await runSingle(p, op).catch((e) => errors.set(op.idx, errorMessage(e)));
  return readBack(p, changes, errors, ops);
}

async function sendBatch(p: CloudflareProvider, chunk: Op[]): Promise<void> {
  const body = {
    deletes: chunk.flatMap((o) => (o.kind === "delete" ? [{ id: o.id }] : [])),
    puts: chunk.flatMap((o) => (o.kind === "put" ? [{ id: o.id, ...cfBody(o.rec) }] : [])),
    posts: chunk.flatMap((o) => (o.kind === "post" ? [cfBody(o.rec)] : [])),
  };
  const params = { zone_id: p.zoneId, ...body } as BatchParams;
  // Not idempotent (posts create records): a 5xx is not retried here but
  // handled by the one-by-one replay, whose creates look before they write.
  await p.api.call("records.batch", () => p.api.sdk.dns.records.batch(params), false);
}

async function runSingle(p: CloudflareProvider, op: Op): Promise<void> {
  if (op.kind === "delete") return p.removeById(op.id);
  if (op.kind === "put") {
    const params = { zone_id: p.zoneId, ...cfBody(op.rec) } as UpdateParams;
    await p.api.call("records.update", () => p.api.sdk.dns.records.update(op.id, params), true);
    return;
  }
  await p.ensureRecord(op.rec);
}

/** Confirms every change against a fresh listing; a change the listing contradicts gets one individual repair. */
async function readBack(p: CloudflareProvider, changes: RecordChange[], errors: Map<number, string>, ops: Op[]): Promise<ChangeResult[]> {
  const after = new Listing(await p.listAll());
  const deletedIds = new Map<number, string[]>();
  for (const o of ops) if (o.kind === "delete") deletedIds.set(o.idx, [...(deletedIds.get(o.idx) ?? []), o.id]);
  const results: ChangeResult[] = [];
  for (const [idx, change] of changes.entries()) {
    const error = errors.get(idx);
    if (error !== undefined) {
      results.push({ change, ok: false, error });
      continue;
    }
    try {
      const rec = desiredOf(change);
      if (rec) {
        const seen = after.at(rec.fqdn).find((r) => r.type === rec.type && isWharfMarker(r.comment) && sameContent(rec.type, r.content ?? "", rec.content));
        const record = seen && cfMatches(seen, rec) ? toProviderRecord(seen) : await p.ensureRecord(rec);
        results.push({ change, ok: true, record });
      } else if (change.op === "delete") {
        const lingering = (deletedIds.get(idx) ?? []).some((id) => after.byId.has(id));
        if (lingering) await p.deleteRecord({ fqdn: change.fqdn, type: change.type, id: change.id });
        results.push({ change, ok: true });
      }
    } catch (err) {
      results.push({ change, ok: false, error: errorMessage(err) });
    }
  }
  return results;
}
