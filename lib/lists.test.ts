import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BASE, insertInstance, resetDnsState, settings, TARGET } from "../test/helpers/dns-fixtures";
import { SYSTEM_ACTOR } from "./audit/record-event";
import { createApiToken } from "./auth/tokens";
import { db } from "./db";
import { listEvents } from "./audit/list-events";
import { listInstances } from "./instances/list-instances";
import { listDnsRecords } from "./dns/list-records";
import { listProxies } from "./standalone-proxies/list-proxies";
import { GET as getProxiesRoute } from "../app/api/proxies/route";
import { GET as getDnsRoute } from "../app/api/dns/records/route";

// Pagination boundaries, filters with sorts, totals: every list through its
// lib function (the API and the pages call the same ones), against SQLite.

const ROUTES = ["active", "failed", "pending"];
const N = 120;
const name = (i: number) => `p${String(i).padStart(3, "0")}.${BASE}`;

async function seedProxies() {
  await db.standaloneProxy.createMany({
    data: Array.from({ length: N }, (_, i) => ({ domain: name(i), upstream: `http://192.0.2.${i % 7}:80${i % 3}`, routeStatus: ROUTES[i % 3] })),
  });
  // In index order: PostgreSQL returns an unordered findMany in heap order, which rows freed by earlier tests can change.
  return db.standaloneProxy.findMany({ orderBy: { domain: "asc" } });
}

type Lister = (params: URLSearchParams) => Promise<{ items: { id?: string }[]; nextCursor: string | null; prevCursor: string | null; total: number }>;

/** Follows nextCursor from the first page to the last; every page but the last is full. */
async function walk<T extends { items: unknown[]; nextCursor: string | null }>(list: (p: URLSearchParams) => Promise<T>, query: string, limit: number) {
  const pages: T[] = [];
  let cursor: string | null = null;
  do {
    const p = new URLSearchParams(query);
    p.set("limit", String(limit));
    if (cursor) p.set("cursor", cursor);
    const page = await list(p);
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor && pages.length < 1000);
  for (const p of pages.slice(0, -1)) expect(p.items).toHaveLength(limit);
  return pages;
}

beforeEach(async () => {
  await resetDnsState();
  await settings({ baseDomain: BASE, targetAddress: TARGET });
});
afterEach(resetDnsState);

describe("listProxies", () => {
  const list: Lister = (params) => listProxies({ params });

  it("pages through every row once, in order, with the total on every page; the last page has no next cursor", async () => {
    await seedProxies();
    const pages = await walk(list, "", 50);
    expect(pages.map((p) => p.items.length)).toEqual([50, 50, 20]);
    expect(pages.map((p) => p.total)).toEqual([N, N, N]);
    expect(pages[0].prevCursor).toBeNull();
    expect(pages[2].nextCursor).toBeNull();
    const domains = pages.flatMap((p) => p.items.map((x) => (x as { domain: string }).domain));
    expect(domains).toEqual(Array.from({ length: N }, (_, i) => name(i)));
  });

  it("goes back with prevCursor to exactly the page before", async () => {
    await seedProxies();
    const first = await list(new URLSearchParams("limit=30"));
    const second = await list(new URLSearchParams(`limit=30&cursor=${first.nextCursor}`));
    const third = await list(new URLSearchParams(`limit=30&cursor=${second.nextCursor}`));
    const back = await list(new URLSearchParams(`limit=30&cursor=${third.prevCursor}`));
    expect(back.items.map((x) => x.id)).toEqual(second.items.map((x) => x.id));
    const backToFirst = await list(new URLSearchParams(`limit=30&cursor=${back.prevCursor}`));
    expect(backToFirst.items.map((x) => x.id)).toEqual(first.items.map((x) => x.id));
    expect(backToFirst.prevCursor).toBeNull();
    expect(backToFirst.nextCursor).not.toBeNull();
  });

  it("an empty list and a filter that matches nothing: no items, total 0, no cursors", async () => {
    expect(await list(new URLSearchParams())).toMatchObject({ items: [], total: 0, nextCursor: null, prevCursor: null });
    await seedProxies();
    expect(await list(new URLSearchParams("q=nothing-like-this"))).toMatchObject({ items: [], total: 0, nextCursor: null });
  });

  it("a cursor whose row was deleted continues right after where that row was", async () => {
    await seedProxies();
    const first = await list(new URLSearchParams("limit=10"));
    const last = first.items.at(-1)!;
    await db.standaloneProxy.delete({ where: { id: last.id } });
    const next = await list(new URLSearchParams(`limit=10&cursor=${first.nextCursor}`));
    expect((next.items[0] as { domain: string }).domain).toBe(name(10));
    expect(next.total).toBe(N - 1);
  });

  it("a route filter with a descending upstream sort: the right rows in the right order, the filtered total", async () => {
    const rows = await seedProxies();
    const expected = rows
      .filter((r) => r.routeStatus === "failed")
      .sort((a, b) => (a.upstream === b.upstream ? (a.id < b.id ? 1 : -1) : a.upstream < b.upstream ? 1 : -1))
      .map((r) => r.id);
    const pages = await walk(list, "route=failed&sort=upstream&dir=desc", 7);
    expect(pages.flatMap((p) => p.items.map((x) => x.id))).toEqual(expected);
    expect(pages[0].total).toBe(40);
  });

  it("a text filter combined with a sort by creation time", async () => {
    const rows = await seedProxies();
    const pages = await walk(list, "q=192.0.2.3&sort=createdAt", 4);
    const ids = pages.flatMap((p) => p.items.map((x) => x.id));
    expect(ids.sort()).toEqual(rows.filter((r) => r.upstream.includes("192.0.2.3")).map((r) => r.id).sort());
    expect(pages[0].total).toBe(ids.length);
  });

  it("shows each proxy's own ledger row, the current domain's when a stale one is left", async () => {
    const [a, b] = await Promise.all([db.standaloneProxy.create({ data: { domain: `a.${BASE}`, upstream: "http://192.0.2.1" } }), db.standaloneProxy.create({ data: { domain: `b.${BASE}`, upstream: "http://192.0.2.1" } })]);
    const row = (fqdn: string, consumerId: string, status: string) => ({ fqdn, type: "A", content: TARGET, provider: "cloudflare", zone: BASE, consumerType: "standalone", consumerId, status });
    await db.dnsRecord.createMany({ data: [row(`old-a.${BASE}`, a.id, "failed"), row(`a.${BASE}`, a.id, "synced"), row(`b.${BASE}`, b.id, "pending")] });
    const page = await list(new URLSearchParams());
    expect(page.items.map((p) => [(p as { domain: string }).domain, (p as { dns: { status: string } }).dns.status])).toEqual([[`a.${BASE}`, "synced"], [`b.${BASE}`, "pending"]]);
  });
});

describe("listInstances", () => {
  it("newest first by default, without removed instances, filtered by status, paged", async () => {
    for (let i = 0; i < 12; i++) await insertInstance(`app${i}`, i % 4 === 0 ? "stopped" : i === 11 ? "removed" : "running");
    const all = await walk((p) => listInstances({ params: p }), "", 5);
    expect(all[0].total).toBe(11);
    expect(all.flatMap((p) => p.items.map((i) => i.name))).toEqual(["app10", "app9", "app8", "app7", "app6", "app5", "app4", "app3", "app2", "app1", "app0"]);
    const stopped = await listInstances({ params: new URLSearchParams("status=stopped&sort=name&dir=desc") });
    expect(stopped.items.map((i) => i.name)).toEqual(["app8", "app4", "app0"]);
    expect(stopped.total).toBe(3);
    await expect(listInstances({ params: new URLSearchParams("status=removed") })).rejects.toMatchObject({ field: "status" });
  });
});

describe("listDnsRecords", () => {
  /** Ledger rows for half the proxies, the rest and the running instances only expected: the list is the union. */
  async function seedDns() {
    const proxies = await seedProxies();
    await db.dnsRecord.createMany({
      data: proxies.filter((_, i) => i % 2 === 0).map((p, i) => ({ fqdn: p.domain, type: "A", content: TARGET, provider: "cloudflare", zone: BASE, consumerType: "standalone", consumerId: p.id, status: ["synced", "failed", "pending"][i % 3] })),
    });
    for (let i = 0; i < 9; i++) await insertInstance(`app${i}`, i === 8 ? "stopped" : "running");
  }

  it("pages through ledger rows and expected FQDNs together, in FQDN order, with the union's total", async () => {
    await seedDns();
    const pages = await walk((p) => listDnsRecords({ params: p }), "", 13);
    const fqdns = pages.flatMap((p) => p.records.map((r) => r.fqdn));
    const expected = [...Array.from({ length: N }, (_, i) => name(i)), ...Array.from({ length: 8 }, (_, i) => `app${i}.${BASE}`)].sort();
    expect(fqdns).toEqual(expected);
    expect(pages[0].total).toBe(expected.length);
    const rows = pages.flatMap((p) => p.items);
    expect(rows.filter((r) => r.inLedger)).toHaveLength(60);
    expect(rows.find((r) => r.fqdn === name(1))).toMatchObject({ status: "wildcard", inLedger: false, consumerName: name(1), content: TARGET });
    expect(rows.find((r) => r.fqdn === `app3.${BASE}`)).toMatchObject({ status: "wildcard", consumerType: "instance", consumerName: "app3" });
    expect(rows.find((r) => r.fqdn === name(2))).toMatchObject({ status: "failed", inLedger: true, provider: "cloudflare", consumerName: name(2) });
  });

  it("sorted by status, both directions, across the ledger and the expected rows", async () => {
    await seedDns();
    for (const dir of ["asc", "desc"] as const) {
      const pages = await walk((p) => listDnsRecords({ params: p }), `sort=status&dir=${dir}`, 11);
      const rows = pages.flatMap((p) => p.items);
      const key = (r: { status: string; fqdn: string }) => `${r.status}\u0000${r.fqdn}`;
      const sorted = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : 1));
      expect(rows.map(key)).toEqual(dir === "asc" ? sorted.map(key) : sorted.reverse().map(key));
      expect(rows).toHaveLength(128);
    }
  });

  it("filters by status, consumer type and text, combined, with matching totals", async () => {
    await seedDns();
    const failed = await listDnsRecords({ params: new URLSearchParams("status=failed&limit=500") });
    expect(failed.total).toBe(20);
    expect(failed.items.every((r) => r.status === "failed")).toBe(true);
    const expectedInstances = await listDnsRecords({ params: new URLSearchParams("consumerType=instance&status=wildcard") });
    expect(expectedInstances.items.map((r) => r.fqdn)).toEqual(Array.from({ length: 8 }, (_, i) => `app${i}.${BASE}`));
    const text = await walk((p) => listDnsRecords({ params: p }), "q=P01&consumer=standalone&sort=status&dir=desc", 3);
    const fqdns = text.flatMap((p) => p.items.map((r) => `${r.status} ${r.fqdn}`));
    expect(fqdns).toHaveLength(10);
    expect(text[0].total).toBe(10);
    expect(fqdns.every((f) => f.includes("p01"))).toBe(true);
    // "missing" is managed mode's word for an expected row: in wildcard mode nothing is missing.
    expect(await listDnsRecords({ params: new URLSearchParams("status=missing") })).toMatchObject({ items: [], total: 0, nextCursor: null });
  });

  it("escapes LIKE wildcards in the text filter", async () => {
    await seedDns();
    expect((await listDnsRecords({ params: new URLSearchParams("q=p0_1") })).total).toBe(0);
    expect((await listDnsRecords({ params: new URLSearchParams("q=%") })).total).toBe(0);
  });

  it("a cursor whose ledger row was deleted continues after it", async () => {
    await seedDns();
    const first = await listDnsRecords({ params: new URLSearchParams("limit=5&consumerType=standalone") });
    expect(first.items[4]).toMatchObject({ fqdn: name(4), inLedger: true });
    await db.dnsRecord.delete({ where: { fqdn: first.items[4].fqdn } });
    const next = await listDnsRecords({ params: new URLSearchParams(`limit=5&consumerType=standalone&cursor=${first.nextCursor}`) });
    expect(next.items.map((r) => r.fqdn)).toEqual([5, 6, 7, 8, 9].map(name));
    // The deleted row's proxy is now only expected; it sorts at the same FQDN, so it is not repeated on the next page.
    expect(next.items[0].fqdn > first.items[4].fqdn).toBe(true);
  });
});

describe("listEvents", () => {
  it("rows with the same timestamp are neither lost nor repeated across pages", async () => {
    const at = new Date("2026-12-01T09:00:00Z");
    await db.auditEvent.createMany({ data: Array.from({ length: 30 }, (_, i) => ({ actorType: "system", actorLabel: "t", action: `a.${i}`, result: i % 5 ? "ok" : "error", createdAt: at })) });
    const pages = await walk((p) => listEvents({ params: p }), "", 7);
    const actions = pages.flatMap((p) => p.items.map((e) => e.action)).filter((a) => a.startsWith("a."));
    expect(new Set(actions).size).toBe(30);
    expect(actions).toHaveLength(30);
    const errors = await walk((p) => listEvents({ params: p }), "result=error", 2);
    expect(errors.flatMap((p) => p.items.map((e) => e.action)).sort()).toEqual(["a.0", "a.10", "a.15", "a.20", "a.25", "a.5"]);
  });
});

describe("list route handlers", () => {
  async function bearer() {
    const owner = await db.user.create({ data: { email: `lists-${Date.now()}@example.com`, passwordHash: "x", role: "viewer" } });
    const { token } = await createApiToken({ actor: SYSTEM_ACTOR, userId: owner.id, body: { name: `lists-${Date.now()}`, role: "viewer" } });
    return { authorization: `Bearer ${token}` };
  }
  const ctx = { params: Promise.resolve({}) };

  it("answer {items, nextCursor, total} beside the fields scripts already read, and 400 naming a bad limit or cursor", async () => {
    await seedProxies();
    const headers = await bearer();
    const res = await getProxiesRoute(new Request("http://127.0.0.1/api/proxies?limit=2", { headers }), ctx);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ total: N, items: [{ domain: name(0) }, { domain: name(1) }], proxies: [{ domain: name(0) }, { domain: name(1) }] });
    expect(typeof body.nextCursor).toBe("string");
    const dns = await (await getDnsRoute(new Request("http://127.0.0.1/api/dns/records?limit=1", { headers }), ctx)).json();
    expect(dns).toMatchObject({ mode: "wildcard", total: N, records: [{ fqdn: name(0) }], items: [{ fqdn: name(0) }] });
    for (const [qs, field] of [["limit=501", "limit"], ["limit=0", "limit"], ["cursor=zzz", "cursor"], ["sort=secret", "sort"], ["route=up", "route"]]) {
      const bad = await getProxiesRoute(new Request(`http://127.0.0.1/api/proxies?${qs}`, { headers }), ctx);
      expect(bad.status, qs).toBe(400);
      expect((await bad.json()).error, qs).toMatchObject({ code: "VALIDATION", field });
    }
    const badDns = await getDnsRoute(new Request("http://127.0.0.1/api/dns/records?status=gone", { headers }), ctx);
    expect(badDns.status).toBe(400);
    expect((await badDns.json()).error).toMatchObject({ field: "status" });
  });
});
