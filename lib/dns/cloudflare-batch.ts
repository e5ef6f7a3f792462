import { AppError, errorMessage } from "../errors";
import { logger } from "../logger";
import { normalizeFqdn } from "../naming";
import { CF_BATCH_LIMIT, CF_CODES, CF_COMMENT_MAX, type CfRecord, cfBody, cfMatches, cfPatch, hasCode, isBatchWide, toProviderRecord } from "./cloudflare-client";
import { carries, deletionTargets, foreignError, resolveName } from "./cloudflare-ownership";
import { inZone, sameContent, validateDesired } from "./content";
import type { ChangeResult, DesiredRecord, ProviderRecord, RecordChange } from "./types";

/** The body of one POST /zones/{id}/dns_records/batch. */
export interface CfBatchBody {
  deletes: { id: string }[];
  patches: ({ id: string } & ReturnType<typeof cfPatch>)[];
  posts: ReturnType<typeof cfBody>[];
}

/**
 * What the batch needs of the zone it writes to, handed over by the provider:
 * the batch plans and splits, the zone sends and reads.
 */
export interface CfBatchZone {
  /** This installation's id: records another installation marked are foreign. */
  readonly installation: string;
  /** Changes per batch request, as known now. */
  readonly batchSize: number;
  /** Every record in the zone, all types. */
  listAll(): Promise<CfRecord[]>;
  /** One batch request, all or nothing. */
  sendBatch(body: CfBatchBody): Promise<void>;
  removeById(id: string): Promise<void>;
  editById(id: string, rec: DesiredRecord): Promise<void>;
  ensureRecord(rec: DesiredRecord): Promise<ProviderRecord>;
  deleteRecord(ref: { fqdn: string; type: string; id: string }): Promise<void>;
}

/** One request-level operation; a change may need several (a type change is a delete and a post). */
type Op =
  | { kind: "delete"; idx: number; id: string }
  | { kind: "patch"; idx: number; id: string; rec: DesiredRecord }
  | { kind: "post"; idx: number; rec: DesiredRecord };

// Cloudflare runs a batch's deletes, then patches, then puts, then posts.
const ORDER = { delete: 0, patch: 1, post: 2 } as const;
const log = logger.child({ provider: "cloudflare", op: "applyChanges" });

/**
 * A listing indexed once by id and by normalised name: looking each change up
 * by scanning the whole zone made 10,000 changes against 10,000 records
 * quadratic (seconds of CPU per sync). `drop` removes records the batch
 * deletes, so that later changes are planned against the zone as it will be.
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
  drop(r: CfRecord): void {
    this.byId.delete(r.id);
    const name = normalizeFqdn(r.name);
    this.byName.set(name, this.at(name).filter((x) => x.id !== r.id));
  }
}

/**
 * Plans every change against one listing. Deletes first, exactly the record
 * each names, and taken out of the listing; then each write is planned
 * against what is left, as the batch will see it after its own deletes (an
 * A deleted and a CNAME created at the same name is a delete and a post,
 * never an edit of the A the batch has just removed).
 */
function planAll(p: CfBatchZone, changes: RecordChange[], zone: string, all: Listing, errors: Map<number, string>): Op[] {
  const ops: Op[] = [];
  const remove = (idx: number, r: CfRecord) => {
    ops.push({ kind: "delete", idx, id: r.id });
    all.drop(r);
  };
  changes.forEach((change, idx) => {
    if (change.op !== "delete") return;
    try {
      const fqdn = normalizeFqdn(change.fqdn);
      for (const r of deletionTargets(all.at(fqdn), all.byId.get(change.id), change, p.installation)) remove(idx, r);
    } catch (err) {
      errors.set(idx, errorMessage(err));
    }
  });
  changes.forEach((change, idx) => {
    if (change.op === "delete") return;
    try {
      const rec = validateDesired(change.record);
      if (rec.marker.length > CF_COMMENT_MAX) throw new AppError("VALIDATION", `ownership marker is longer than ${CF_COMMENT_MAX} characters`);
      if (!inZone(rec.fqdn, zone)) throw new AppError("VALIDATION", `${rec.fqdn} is not inside the zone ${zone}`);
      const named = change.op === "update" ? all.byId.get(change.id) : undefined;
      const plan = resolveName(all.at(rec.fqdn), rec, p.installation, named?.id);
      if (plan.alien) throw foreignError(plan.alien, p.installation);
      for (const r of plan.remove) remove(idx, r);
      if (!plan.keep) ops.push({ kind: "post", idx, rec });
      else if (!cfMatches(plan.keep, rec)) ops.push({ kind: "patch", idx, id: plan.keep.id, rec });
    } catch (err) {
      errors.set(idx, errorMessage(err));
    }
  });
  return ops.sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
}

/**
 * Bulk changes through POST /zones/{id}/dns_records/batch, one all-or-nothing
 * transaction per chunk that answers its first error. A chunk refused for a
 * reason of its own (one record in the way) is replayed one request per
 * operation, isolating that change's failure; a chunk refused for a reason
 * that applies to every change (authentication, permission, quota, TTL) is
 * not replayed: each change gets that error. Everything is read back with one
 * listing at the end.
 */
export async function applyCloudflareChanges(p: CfBatchZone, zone: string, changes: RecordChange[]): Promise<ChangeResult[]> {
  const errors = new Map<number, string>();
  const ops = planAll(p, changes, zone, new Listing(await p.listAll()), errors);
  const fail = (list: Op[], err: unknown) => list.forEach((o) => errors.set(o.idx, errorMessage(err)));
  let quotaReached: unknown = null;
  let size = p.batchSize;
  for (let i = 0; i < ops.length; ) {
    const start = i;
    i += size;
    let chunk = ops.slice(start, i);
    if (quotaReached) {
      fail(chunk.filter((o) => o.kind === "post"), quotaReached);
      chunk = chunk.filter((o) => o.kind !== "post");
      if (!chunk.length) continue;
    }
    try {
      await sendBatch(p, chunk);
    } catch (err) {
      if (hasCode(err, CF_CODES.quotaExceeded) && chunk.some((o) => o.kind !== "post")) {
        // The zone is full: the creates cannot go in, the deletes and edits still can (and free room).
        quotaReached = err;
        fail(chunk.filter((o) => o.kind === "post"), err);
        const rest = chunk.filter((o) => o.kind !== "post");
        await sendBatch(p, rest).catch((e) => (isBatchWide(e) ? fail(rest, e) : replay(p, rest, errors)));
        continue;
      }
      if (size > CF_BATCH_LIMIT && !isBatchWide(err)) {
        // A paid plan's batch refused as a whole: the zone may be on Free by now (its plan is read once per
        // process), or one change is in the way. Free-size batches again, not 3,500 requests one by one.
        log.warn({ size: chunk.length, err: errorMessage(err) }, `batch refused; sending it again in batches of ${CF_BATCH_LIMIT}`);
        size = CF_BATCH_LIMIT;
        i = start;
        continue;
      }
      if (isBatchWide(err)) {
        log.warn({ size: chunk.length, err: errorMessage(err) }, "batch refused for every change; not replaying it");
        if (hasCode(err, CF_CODES.quotaExceeded)) quotaReached = err;
        fail(chunk, err);
        continue;
      }
      log.warn({ size: chunk.length, err: errorMessage(err) }, "batch refused; applying its changes one by one");
      quotaReached = (await replay(p, chunk, errors)) ?? quotaReached;
    }
  }
  return readBack(p, changes, errors, ops);
}

/** One request per operation; stops sending what cannot succeed (a full zone refuses every create, a bad token everything). Returns the quota error if hit. */
async function replay(p: CfBatchZone, chunk: Op[], errors: Map<number, string>): Promise<unknown> {
  let stop: unknown = null;
  let quota: unknown = null;
  for (const op of chunk) {
    if (stop || (quota && op.kind === "post")) {
      errors.set(op.idx, errorMessage(stop ?? quota));
      continue;
    }
    try {
      await runSingle(p, op);
    } catch (err) {
      errors.set(op.idx, errorMessage(err));
      if (hasCode(err, CF_CODES.quotaExceeded)) quota = err;
      else if (isBatchWide(err)) stop = err;
    }
  }
  return quota;
}

async function sendBatch(p: CfBatchZone, chunk: Op[]): Promise<void> {
  await p.sendBatch({
    deletes: chunk.flatMap((o) => (o.kind === "delete" ? [{ id: o.id }] : [])),
    patches: chunk.flatMap((o) => (o.kind === "patch" ? [{ id: o.id, ...cfPatch(o.rec) }] : [])),
    posts: chunk.flatMap((o) => (o.kind === "post" ? [cfBody(o.rec)] : [])),
  });
}

async function runSingle(p: CfBatchZone, op: Op): Promise<void> {
  if (op.kind === "delete") return p.removeById(op.id);
  if (op.kind === "patch") return p.editById(op.id, op.rec);
  await p.ensureRecord(op.rec);
}

/** Confirms every change against a fresh listing; a change the listing contradicts gets one individual repair. */
async function readBack(p: CfBatchZone, changes: RecordChange[], errors: Map<number, string>, ops: Op[]): Promise<ChangeResult[]> {
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
      if (change.op !== "delete") {
        const rec = validateDesired(change.record);
        const seen = after.at(rec.fqdn).find((r) => r.type === rec.type && carries(r, rec) && sameContent(rec.type, r.content ?? "", rec.content));
        const record = seen && cfMatches(seen, rec) ? toProviderRecord(seen) : await p.ensureRecord(rec);
        results.push({ change, ok: true, record });
      } else {
        // Only the records this change deleted: another change's kept record at the name is not this one's business.
        for (const id of deletedIds.get(idx) ?? []) {
          if (after.byId.has(id)) await p.deleteRecord({ fqdn: change.fqdn, type: change.type, id });
        }
        results.push({ change, ok: true });
      }
    } catch (err) {
      results.push({ change, ok: false, error: errorMessage(err) });
    }
  }
  return results;
}
