import { describe, expect, it } from "vitest";
import type { ProviderRecord } from "./types";
import type { ExpectedRecord } from "./expected-records";
import { planReconcile, type LedgerEntry, type PlanOptions } from "./reconcile-plan";

const T = "203.0.113.10";
const exp = (name: string, over: Partial<ExpectedRecord> = {}): ExpectedRecord => ({
  fqdn: `${name}.example.com`, type: "A", content: T, marker: `wharf:inst1:instance:${name}`, consumerType: "instance", consumerId: name, consumerName: name, ...over,
});
const rec = (name: string, over: Partial<ProviderRecord> = {}): ProviderRecord => ({
  id: `id-${name}-${over.content ?? T}`, fqdn: `${name}.example.com`, type: "A", content: T, ttl: 300, marker: `wharf:inst1:instance:${name}`, ...over,
});
const led = (name: string, over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  fqdn: `${name}.example.com`, type: "A", content: T, providerRecordId: `id-${name}-${T}`, consumerType: "instance", consumerId: name, status: "synced", ...over,
});
const opts: PlanOptions = { ttl: 300, hasMarkers: true, installation: "inst1", consumersListed: true };
const summary = (p: ReturnType<typeof planReconcile>) => ({
  creates: p.creates.map((c) => c.fqdn), updates: p.updates.map((u) => u.fqdn), deletes: p.deletes.map((d) => `${d.fqdn}:${d.reason}`),
  synced: p.alreadySynced.map((s) => s.fqdn), foreign: p.foreign.map((f) => `${f.fqdn}:${f.reason}`), forget: p.forget.map((f) => f.fqdn), blocked: p.blocked?.deletes.length ?? 0,
});

describe("planReconcile", () => {
  it("creates what is missing, including a record deleted behind Wharf's back", () => {
    const p = planReconcile([exp("a"), exp("b")], [rec("a")], [led("a"), led("b")], opts);
    expect(summary(p)).toMatchObject({ creates: ["b.example.com"], synced: ["a.example.com"], updates: [], deletes: [] });
    expect(p.creates[0].record).toMatchObject({ type: "A", content: T, ttl: 300, marker: "wharf:inst1:instance:b" });
  });

  it("updates wrong content and leaves right content alone", () => {
    const p = planReconcile([exp("a"), exp("b")], [rec("a", { content: "192.0.2.1" }), rec("b")], [led("a"), led("b")], opts);
    expect(summary(p)).toMatchObject({ updates: ["a.example.com"], synced: ["b.example.com"] });
    expect(p.updates[0]).toMatchObject({ from: "192.0.2.1", id: "id-a-192.0.2.1" });
  });

  it("deletes ledger records whose consumer is gone, and forgets rows whose record is already gone", () => {
    const p = planReconcile([exp("a")], [rec("a"), rec("gone")], [led("a"), led("gone"), led("vanished")], opts);
    expect(summary(p)).toMatchObject({ deletes: ["gone.example.com:consumer-gone"], forget: ["vanished.example.com"] });
  });

  it("never plans the records of a consumer in a transitional state for deletion (a deploy whose job died)", () => {
    const p = planReconcile([exp("a")], [rec("a"), rec("fresh"), rec("gone")], [led("a"), led("fresh"), led("gone"), led("pending", { status: "pending" })], {
      ...opts, keepConsumers: new Set(["instance:fresh", "instance:pending"]),
    });
    expect(summary(p)).toMatchObject({ deletes: ["gone.example.com:consumer-gone"], forget: [] });
  });

  it("never touches a record that is not in the ledger or lacks the marker", () => {
    const foreignUnmarked = rec("shop", { marker: null, content: "198.51.100.7" });
    const foreignOtherWharf = rec("other", { marker: "wharf:inst1:instance:someone-else" });
    const ledgerButUnmarked = rec("old", { marker: "hand-made" });
    const p = planReconcile([exp("a")], [rec("a"), foreignUnmarked, foreignOtherWharf, ledgerButUnmarked], [led("a"), led("old")], opts);
    expect(p.deletes).toEqual([]);
    expect(p.updates).toEqual([]);
    expect(summary(p).foreign).toEqual(["old.example.com:unmarked-ledger"]);
    // The old ledger row's record is not ours at the provider: drop the row, never the record.
    expect(summary(p).forget).toEqual(["old.example.com"]);
  });

  it("reports a foreign record at an expected name as a conflict instead of creating beside it", () => {
    const p = planReconcile([exp("a")], [rec("a", { marker: null, content: "198.51.100.9" })], [], opts);
    expect(summary(p)).toMatchObject({ creates: [], updates: [], foreign: ["a.example.com:conflict"] });
    const cname = planReconcile([exp("a", { type: "CNAME", content: "lb.example.net" })], [rec("a", { marker: null, type: "AAAA", content: "2001:db8::1" })], [], opts);
    expect(summary(cname).foreign).toEqual(["a.example.com:conflict"]);
    const otherWharf = planReconcile([exp("a")], [rec("a", { marker: "wharf:inst1:standalone:xyz" })], [], opts);
    expect(summary(otherWharf).foreign).toEqual(["a.example.com:unowned-marker"]);
  });

  it("treats another installation's record as foreign, at an expected name and at a ledger name alike", () => {
    const theirs = rec("a", { marker: "wharf:staging:instance:a" });
    const p = planReconcile([exp("a")], [theirs], [led("a")], opts);
    expect(summary(p)).toMatchObject({ creates: [], updates: [], deletes: [], foreign: ["a.example.com:other-installation"] });
    const gone = planReconcile([], [rec("b", { marker: "wharf:staging:instance:b" })], [led("b")], opts);
    expect(summary(gone)).toMatchObject({ deletes: [], foreign: ["b.example.com:unmarked-ledger"] });
  });

  it("rewrites a legacy marker (no installation id) on a record in its ledger, and deletes such a record when its consumer is gone", () => {
    const p = planReconcile([exp("a")], [rec("a", { marker: "wharf:instance:a" })], [led("a")], opts);
    expect(summary(p).updates).toEqual(["a.example.com"]);
    expect(p.updates[0].record.marker).toBe("wharf:inst1:instance:a");
    const gone = planReconcile([], [rec("b", { marker: "wharf:instance:b" })], [led("b")], opts);
    expect(summary(gone).deletes).toEqual(["b.example.com:consumer-gone"]);
    // Not in the ledger: a legacy marker proves nothing about which installation wrote it.
    const stranger = planReconcile([exp("c")], [rec("c", { marker: "wharf:instance:zz" })], [], opts);
    expect(summary(stranger).foreign).toEqual(["c.example.com:unowned-marker"]);
  });

  it("adopts a record carrying exactly the consumer's marker when the ledger row was lost", () => {
    const p = planReconcile([exp("a")], [rec("a")], [], opts);
    expect(summary(p)).toMatchObject({ synced: ["a.example.com"], foreign: [], creates: [] });
  });

  it("compares names regardless of case and trailing dot", () => {
    const p = planReconcile([exp("a", { fqdn: "A.Example.COM." })], [rec("a", { fqdn: "a.example.com." })], [led("a", { fqdn: "A.EXAMPLE.com" })], opts);
    expect(summary(p)).toMatchObject({ synced: ["a.example.com"], creates: [], deletes: [], forget: [] });
  });

  it("treats TTL echoes and content spellings as no drift", () => {
    const p = planReconcile(
      [exp("a"), exp("b", { type: "CNAME", content: "lb.example.net" }), exp("c", { type: "AAAA", content: "2001:db8::1" })],
      [rec("a", { ttl: 1 }), rec("b", { type: "CNAME", content: "LB.example.net." }), rec("c", { type: "AAAA", content: "2001:0db8:0000:0000:0000:0000:0000:0001" })],
      [led("a"), led("b"), led("c")],
      opts,
    );
    expect(summary(p)).toMatchObject({ updates: [], synced: ["a.example.com", "b.example.com", "c.example.com"] });
    const drift = planReconcile([exp("a")], [rec("a", { ttl: 3600 })], [led("a")], opts);
    expect(summary(drift).updates).toEqual(["a.example.com"]);
  });

  it("keeps one of records that appear twice and deletes the duplicate", () => {
    const p = planReconcile([exp("a")], [rec("a", { id: "x1", content: "192.0.2.1" }), rec("a", { id: "x2" })], [led("a")], opts);
    expect(summary(p)).toMatchObject({ synced: ["a.example.com"], deletes: ["a.example.com:duplicate"] });
    expect(p.deletes[0].id).toBe("x1");
  });

  it("replaces a record of the wrong type when the target changes from an address to a hostname", () => {
    const p = planReconcile([exp("a", { type: "CNAME", content: "edge.example.net" })], [rec("a")], [led("a")], opts);
    expect(summary(p)).toMatchObject({ deletes: ["a.example.com:wrong-type"], creates: ["a.example.com"] });
  });

  it("deletes nothing when listing consumers failed", () => {
    const p = planReconcile([], [rec("a"), rec("b")], [led("a"), led("b")], { ...opts, consumersListed: false });
    expect(p.deletes).toEqual([]);
    expect(p.forget).toEqual([]);
    expect(p.blocked?.reason).toMatch(/listing consumers failed/);
    expect(p.blocked?.deletes).toHaveLength(2);
  });

  it("refuses to delete more than 30% of owned records (and more than 10) unless forced", () => {
    const names = Array.from({ length: 40 }, (_, i) => `n${i}`);
    const provider = names.map((n) => rec(n));
    const ledger = names.map((n) => led(n));
    const keep = names.slice(0, 25).map((n) => exp(n)); // 15 of 40 would go: 37.5%
    const p = planReconcile(keep, provider, ledger, opts);
    expect(p.deletes).toEqual([]);
    expect(p.blocked?.deletes).toHaveLength(15);
    expect(planReconcile(keep, provider, ledger, { ...opts, force: true }).deletes).toHaveLength(15);
    // 10 or fewer deletes are allowed whatever the share.
    const small = planReconcile(names.slice(0, 30).map((n) => exp(n)), provider, ledger, opts);
    expect(small.deletes).toHaveLength(10);
    expect(small.blocked).toBeNull();
    // More than 10 but under 30% is allowed.
    const big = Array.from({ length: 100 }, (_, i) => `m${i}`);
    const ok = planReconcile(big.slice(0, 80).map((n) => exp(n)), big.map((n) => rec(n)), big.map((n) => led(n)), opts);
    expect(ok.deletes).toHaveLength(20);
  });

  it("without provider markers (AdGuard), the ledger alone decides", () => {
    const ag = { ...opts, hasMarkers: false };
    const p = planReconcile([exp("a"), exp("b")], [rec("a", { marker: null }), rec("b", { marker: null, content: "192.0.2.8" }), rec("gone", { marker: null })], [led("a"), led("gone")], ag);
    // b is at an expected name but not in the ledger: someone else's rewrite.
    expect(summary(p)).toMatchObject({ synced: ["a.example.com"], foreign: ["b.example.com:conflict"], deletes: ["gone.example.com:consumer-gone"] });
  });

  it("is empty when everything agrees", () => {
    const p = planReconcile([exp("a")], [rec("a"), rec("foreign", { marker: null })], [led("a")], opts);
    expect(summary(p)).toEqual({ creates: [], updates: [], deletes: [], synced: ["a.example.com"], foreign: [], forget: [], blocked: 0 });
  });
});
