import { markerOwner, normalizeFqdn } from "../naming";
import { normalizeContent } from "./content";
import type { DesiredRecord, ProviderRecord } from "./types";
import type { ExpectedRecord } from "./expected-records";

// The reconciliation plan (SPEC §9): a pure function from what should exist
// (expected), what the provider shows, and what Wharf owns (the ledger) to
// the changes that make them agree. Never touches a record that is not in
// the ledger or (where the provider has markers) lacks Wharf's marker.

export interface LedgerEntry {
  fqdn: string;
  type: string;
  content: string;
  providerRecordId: string | null;
  consumerType: string;
  consumerId: string;
  status: string;
}

export interface PlanOptions {
  ttl: number;
  proxied?: boolean;
  /** False for AdGuard Home: the ledger alone decides ownership. */
  hasMarkers: boolean;
  /** This installation's id: records marked by another installation are foreign. */
  installation: string;
  /** False when listing consumers failed: nothing may be deleted then. */
  consumersListed: boolean;
  force?: boolean;
  /** Consumers (`type:id`) in a transitional state: their ledger records are never deleted or forgotten. */
  keepConsumers?: ReadonlySet<string>;
  /** Deleting more than this share of owned records (and more than minDeletes) needs force. */
  maxDeleteRatio?: number;
  minDeletes?: number;
}

type Consumer = { consumerType: string; consumerId: string };
export type PlanCreate = { fqdn: string; record: DesiredRecord } & Consumer;
export type PlanUpdate = { fqdn: string; id: string; from: string; record: DesiredRecord } & Consumer;
export type PlanDelete = { fqdn: string; id: string; type: string; content: string; reason: "consumer-gone" | "duplicate" | "wrong-type" };
export type PlanSynced = { fqdn: string; id: string; record: ProviderRecord } & Consumer;
export type PlanForeign = { fqdn: string; type: string; content: string; id: string; reason: "conflict" | "unowned-marker" | "other-installation" | "unmarked-ledger" };
export type PlanForget = { fqdn: string; reason: string };

export interface Plan {
  creates: PlanCreate[];
  updates: PlanUpdate[];
  deletes: PlanDelete[];
  alreadySynced: PlanSynced[];
  foreign: PlanForeign[];
  /** Ledger rows whose record is already gone and whose consumer is gone: drop the row, no API call. */
  forget: PlanForget[];
  /** Deletes held back by a safety rule, with the reason. */
  blocked: { deletes: PlanDelete[]; reason: string } | null;
}

const key = (fqdn: string, type: string) => `${normalizeFqdn(fqdn)}|${type.toUpperCase()}`;

type Ownership = {
  /** A marker of this installation's, or a legacy one. */
  ownMarker: (m: string | null) => boolean;
  owned: (r: ProviderRecord) => boolean;
  foreignReason: (m: string | null) => PlanForeign["reason"];
};

export function planReconcile(expected: ExpectedRecord[], provider: ProviderRecord[], ledger: LedgerEntry[], opts: PlanOptions): Plan {
  const plan: Plan = { creates: [], updates: [], deletes: [], alreadySynced: [], foreign: [], forget: [], blocked: null };
  const ledgerByName = new Map(ledger.map((l) => [normalizeFqdn(l.fqdn), l]));
  const atName = new Map<string, ProviderRecord[]>();
  for (const r of provider) {
    const name = normalizeFqdn(r.fqdn);
    atName.set(name, [...(atName.get(name) ?? []), { ...r, fqdn: name }]);
  }
  const own = ownership(ledgerByName, opts);
  const expectedByName = new Map<string, ExpectedRecord>();
  for (const e of expected) expectedByName.set(normalizeFqdn(e.fqdn), e);
  for (const [name, e] of expectedByName) planExpected(plan, { name, e, records: atName.get(name) ?? [], inLedger: ledgerByName.has(name), own, opts });
  planGoneConsumers(plan, { ledger, expectedByName, atName, own, opts });
  applySafety(plan, provider.filter(own.owned).length, opts);
  return plan;
}

/**
 * Ours = in the ledger (by name) and, where markers exist, carrying this
 * installation's marker or a legacy one (written before installation ids;
 * the ledger vouches for it, and the update rewrites it).
 */
function ownership(ledgerByName: Map<string, LedgerEntry>, opts: PlanOptions): Ownership {
  const ownMarker = (m: string | null) => ["mine", "legacy"].includes(markerOwner(m, opts.installation));
  const owned = (r: ProviderRecord) => ledgerByName.has(r.fqdn) && (!opts.hasMarkers || ownMarker(r.marker));
  const foreignReason = (m: string | null): PlanForeign["reason"] => {
    const who = markerOwner(m, opts.installation);
    return who === "other" ? "other-installation" : who === "none" ? "conflict" : "unowned-marker";
  };
  return { ownMarker, owned, foreignReason };
}

/** One expected record against the records at its name: blocked by a foreign one, created, updated, already synced; duplicates and wrong types deleted. */
function planExpected(plan: Plan, o: { name: string; e: ExpectedRecord; records: ProviderRecord[]; inLedger: boolean; own: Ownership; opts: PlanOptions }): void {
  const { name, e, records, inLedger, own, opts } = o;
  const want: DesiredRecord = { fqdn: name, type: e.type, content: e.content, ttl: opts.ttl, proxied: opts.proxied, marker: e.marker };
  const consumer = { consumerType: e.consumerType, consumerId: e.consumerId };
  // With markers, a record carrying exactly this consumer's marker is ours even if its ledger row was lost (it is adopted).
  const mine = records.filter((r) => (opts.hasMarkers ? r.marker === e.marker || (own.ownMarker(r.marker) && inLedger) : inLedger));
  const others = records.filter((r) => !mine.includes(r));
  // A foreign record at the name blocks us when it would collide (same type, or any CNAME involvement).
  // (A record marked by another Wharf consumer is foreign too: not ours to change.)
  const blocking = others.filter((r) => r.type.toUpperCase() === e.type || r.type.toUpperCase() === "CNAME" || e.type === "CNAME");
  if (blocking.length) {
    for (const r of blocking) plan.foreign.push({ fqdn: name, type: r.type, content: r.content, id: r.id, reason: own.foreignReason(r.marker) });
    return;
  }
  const sameType = mine.filter((r) => r.type.toUpperCase() === e.type);
  for (const r of mine.filter((r) => r.type.toUpperCase() !== e.type)) plan.deletes.push({ fqdn: name, id: r.id, type: r.type, content: r.content, reason: "wrong-type" });
  if (!sameType.length) {
    plan.creates.push({ fqdn: name, record: want, ...consumer });
    return;
  }
  // Keep the best match, delete duplicates.
  const keep = sameType.find((r) => normalizeContent(e.type, r.content) === normalizeContent(e.type, e.content)) ?? sameType[0];
  for (const r of sameType) if (r !== keep) plan.deletes.push({ fqdn: name, id: r.id, type: r.type, content: r.content, reason: "duplicate" });
  if (differs(keep, want, opts.hasMarkers)) plan.updates.push({ fqdn: name, id: keep.id, from: keep.content, record: want, ...consumer });
  else plan.alreadySynced.push({ fqdn: name, id: keep.id, record: keep, ...consumer });
}

/** Ledger records whose consumer is gone: ours deleted (or forgotten when already gone), others at the name reported foreign. */
function planGoneConsumers(
  plan: Plan,
  o: { ledger: LedgerEntry[]; expectedByName: Map<string, ExpectedRecord>; atName: Map<string, ProviderRecord[]>; own: Ownership; opts: PlanOptions },
): void {
  for (const l of o.ledger) {
    const name = normalizeFqdn(l.fqdn);
    if (o.expectedByName.has(name)) continue;
    if (o.opts.keepConsumers?.has(`${l.consumerType}:${l.consumerId}`)) continue;
    const records = o.atName.get(name) ?? [];
    const ours = records.filter(o.own.owned);
    for (const r of records.filter((r) => !o.own.owned(r))) plan.foreign.push({ fqdn: name, type: r.type, content: r.content, id: r.id, reason: "unmarked-ledger" });
    if (!ours.length) plan.forget.push({ fqdn: name, reason: "record already gone" });
    for (const r of ours) plan.deletes.push({ fqdn: name, id: r.id, type: r.type, content: r.content, reason: "consumer-gone" });
  }
}

/** TTL 1 means "automatic" (Cloudflare echoes it for proxied records): not drift. */
function differs(have: ProviderRecord, want: DesiredRecord, hasMarkers: boolean): boolean {
  // A legacy marker (or another consumer's) on a record this consumer owns is rewritten.
  if (hasMarkers && have.marker !== want.marker) return true;
  if (normalizeContent(want.type, have.content) !== normalizeContent(want.type, want.content)) return true;
  if (want.proxied !== undefined && have.proxied !== undefined && have.proxied !== want.proxied) return true;
  if (have.ttl !== undefined && have.ttl !== 1 && !have.proxied && have.ttl !== want.ttl) return true;
  return false;
}

function applySafety(plan: Plan, ownedCount: number, opts: PlanOptions) {
  const consumerGone = plan.deletes.filter((d) => d.reason === "consumer-gone");
  if (!opts.consumersListed && plan.deletes.length) {
    plan.blocked = { deletes: plan.deletes, reason: "listing consumers failed: nothing is deleted" };
    plan.deletes = [];
    plan.forget = [];
    return;
  }
  const ratio = opts.maxDeleteRatio ?? 0.3;
  const min = opts.minDeletes ?? 10;
  if (!opts.force && consumerGone.length > min && consumerGone.length > ratio * ownedCount) {
    plan.blocked = {
      deletes: consumerGone,
      reason: `would delete ${consumerGone.length} of ${ownedCount} owned records (more than ${Math.round(ratio * 100)}% and more than ${min}): run with force to allow`,
    };
    plan.deletes = plan.deletes.filter((d) => d.reason !== "consumer-gone");
  }
}
