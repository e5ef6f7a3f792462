import { afterEach, describe, expect, it } from "vitest";
import type { LoggedRequest } from "../../test/doubles/http-double";
import { MARK, closeDoubles, setupCloudflare as setup, want, writesTo } from "../../test/doubles/dns-helpers";
import { recordMarker } from "../naming";
import { installationId } from "../secrets";
import { CloudflareProvider } from "./cloudflare";
import type { ProviderRecord, RecordChange } from "./types";

// Cloudflare as it really behaves (issue 12): batch order and atomicity,
// PATCH versus PUT, the error codes a real zone answers, and ownership
// between two installations sharing a zone.

afterEach(closeDoubles);

const batches = (cf: { requests: LoggedRequest[] }) => cf.requests.filter((r) => r.method === "POST" && r.path.endsWith("/batch"));
const singleWrites = (cf: { requests: LoggedRequest[] }) => cf.requests.filter((r) => r.method !== "GET" && !r.path.endsWith("/batch"));
const marker = (id: string) => recordMarker(installationId(), "instance", id);

describe("Cloudflare batches", () => {
  it("turns A records into CNAMEs at the same names in one batch: a delete and a post each, never an edit of the deleted A", async () => {
    const { cf, provider } = await setup();
    const names = ["a", "b", "c"].map((n) => `${n}.example.test`);
    const before: ProviderRecord[] = [];
    for (const [i, fqdn] of names.entries()) before.push(await provider.ensureRecord(want(fqdn, "192.0.2.10", { marker: marker(`i${i}`) })));
    const changes: RecordChange[] = names.flatMap((fqdn, i) => [
      { op: "delete" as const, id: before[i].id, fqdn, type: "A", content: "192.0.2.10" },
      { op: "create" as const, record: want(fqdn, "edge.example.com", { marker: marker(`i${i}`) }) },
    ]);
    const writesBefore = writesTo(cf).length;
    const results = await provider.applyChanges(changes);
    expect(results.map((r) => r.error ?? "ok")).toEqual(Array(6).fill("ok"));
    expect(batches(cf).map((r) => r.status)).toEqual([200]);
    expect(writesTo(cf).length - writesBefore).toBe(1);
    for (const [i, fqdn] of names.entries()) {
      expect(cf.records().filter((r) => r.name === fqdn)).toMatchObject([{ type: "CNAME", content: "edge.example.com", comment: marker(`i${i}`) }]);
    }
  });

  it("turns an update of an A into a CNAME into a delete and a post in one batch", async () => {
    const { cf, provider } = await setup();
    const a = await provider.ensureRecord(want("a.example.test", "192.0.2.10"));
    const [res] = await provider.applyChanges([{ op: "update", id: a.id, record: want("a.example.test", "edge.example.com") }]);
    expect(res).toMatchObject({ ok: true, record: { type: "CNAME", content: "edge.example.com" } });
    expect(batches(cf).map((r) => r.status)).toEqual([200]);
    expect(cf.records()).toMatchObject([{ name: "a.example.test", type: "CNAME" }]);
  });

  it("a delete deletes exactly the record it names: the kept duplicate survives", async () => {
    const { cf, provider } = await setup();
    const kept = cf.addRecord({ name: "dup.example.test", type: "A", content: "192.0.2.1", ttl: 300, comment: MARK });
    const dup = cf.addRecord({ name: "dup.example.test", type: "A", content: "192.0.2.2", ttl: 300, comment: MARK });
    const results = await provider.applyChanges([{ op: "delete", id: dup.id, fqdn: "dup.example.test", type: "A", content: "192.0.2.2" }]);
    expect(results).toMatchObject([{ ok: true }]);
    expect(cf.records().map((r) => r.id)).toEqual([kept.id]);
    await provider.deleteRecord({ fqdn: "dup.example.test", type: "A", id: dup.id, content: "192.0.2.2" });
    expect(cf.records().map((r) => r.id)).toEqual([kept.id]);
  });

  it("updates with patches that send only Wharf's fields: tags an operator added survive", async () => {
    const { cf, provider } = await setup();
    const rec = cf.addRecord({ name: "t.example.test", type: "A", content: "192.0.2.1", ttl: 300, comment: MARK, tags: ["team:ops"] } as never);
    await provider.applyChanges([{ op: "update", id: rec.id, record: want("t.example.test", "192.0.2.9") }]);
    expect(cf.records()).toMatchObject([{ id: rec.id, content: "192.0.2.9", tags: ["team:ops"] }]);
    await provider.ensureRecord(want("t.example.test", "192.0.2.8"));
    expect(cf.records()).toMatchObject([{ id: rec.id, content: "192.0.2.8", tags: ["team:ops"] }]);
    expect(cf.requests.some((r) => r.method === "PUT")).toBe(false);
  });

  it("stops at the zone's record quota (81045): no replay, every create reports it, deletes still go through", async () => {
    const { cf, provider } = await setup({ limits: { recordQuota: 3 } });
    const old = await provider.ensureRecord(want("old.example.test", "192.0.2.1", { marker: marker("old") }));
    await provider.ensureRecord(want("x.example.test", "192.0.2.2", { marker: marker("x") }));
    const writesBefore = writesTo(cf).length;
    const changes: RecordChange[] = [
      { op: "delete", id: old.id, fqdn: "old.example.test", type: "A", content: "192.0.2.1" },
      ...["n1", "n2", "n3"].map((n) => ({ op: "create" as const, record: want(`${n}.example.test`, "192.0.2.3", { marker: marker(n) }) })),
    ];
    const results = await provider.applyChanges(changes);
    expect(results[0]).toMatchObject({ ok: true });
    for (const r of results.slice(1)) expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/zone record quota reached/) });
    // The refused batch, then the same batch without its creates; no request per change.
    expect(batches(cf).map((r) => r.status)).toEqual([400, 200]);
    expect(writesTo(cf).length - writesBefore).toBe(2);
    expect(cf.records().map((r) => r.name)).toEqual(["x.example.test"]);
  });

  it("does not replay a batch refused for every change (a token that may read but not edit DNS)", async () => {
    const { cf } = await setup({ readOnlyTokens: ["read-only"] });
    const provider = new CloudflareProvider({ type: "cloudflare", apiToken: "read-only", zoneId: cf.zones[0].id, baseUrl: cf.url });
    const results = await provider.applyChanges(["a", "b", "c"].map((n) => ({ op: "create", record: want(`${n}.example.test`, "192.0.2.1") })));
    expect(results.map((r) => r.error)).toEqual(Array(3).fill("Authentication error"));
    expect(batches(cf)).toHaveLength(1);
    expect(singleWrites(cf)).toHaveLength(0);
  });
});

describe("Cloudflare errors as the API sends them", () => {
  it("9003: a proxied record to a private address is a final error saying why, sent once", async () => {
    const { cf, provider } = await setup();
    await expect(provider.ensureRecord(want("p.example.test", "10.0.0.5", { proxied: true }))).rejects.toMatchObject({
      code: "PROVIDER_ERROR",
      message: expect.stringMatching(/Target 10\.0\.0\.5 is not allowed for a proxied record\..*turn "proxied" off/),
    });
    expect(writesTo(cf)).toHaveLength(1);
    expect(cf.records()).toHaveLength(0);
  });

  it("81054: a CNAME that appeared at the name since the lookup is resolved as an existing record, not passed on", async () => {
    const { cf, provider } = await setup();
    cf.onRequest(({ method, path }) => {
      if (method === "POST" && path.endsWith("/dns_records")) {
        cf.onRequest(null);
        cf.addRecord({ name: "c.example.test", type: "CNAME", content: "elsewhere.example.com", ttl: 300 });
      }
    });
    await expect(provider.ensureRecord(want("c.example.test", "192.0.2.1"))).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    expect(cf.requests.find((r) => r.method === "POST")?.status).toBe(400);
    expect(cf.records()).toMatchObject([{ type: "CNAME", comment: null }]);
  });

  it("appends error_chain messages and rejects a TTL Cloudflare does not take", async () => {
    const { cf } = await setup({ tokens: ["has space"] });
    const badHeader = new CloudflareProvider({ type: "cloudflare", apiToken: "has space", zoneId: cf.zones[0].id, baseUrl: cf.url });
    expect(await badHeader.testConnection()).toMatchObject({ ok: false, message: "Invalid request headers: Invalid format for Authorization header (6111)" });
    const { provider } = await setup();
    await expect(provider.ensureRecord(want("ttl.example.test", "192.0.2.1", { ttl: 30 }))).rejects.toMatchObject({
      message: "DNS Validation Error: Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic. (9021)",
    });
  });

  it("verifies an account-owned token at its account: a token that reads the zone works", async () => {
    const { cf } = await setup({ accountTokens: ["acct-token"] });
    const withZone = new CloudflareProvider({ type: "cloudflare", apiToken: "acct-token", zoneId: cf.zones[0].id, baseUrl: cf.url });
    expect(await withZone.testConnection()).toEqual({ ok: true, message: "Connected to zone example.test" });
    expect(cf.requests.some((r) => /\/accounts\/[0-9a-f]+\/tokens\/verify$/.test(r.path) && r.status === 200)).toBe(true);
    const noZone = new CloudflareProvider({ type: "cloudflare", apiToken: "acct-token", zoneId: "", baseUrl: cf.url });
    expect(await noZone.testConnection()).toMatchObject({ ok: false, message: expect.stringMatching(/Invalid API Token \(an account-owned token/) });
  });
});

describe("Two installations on one zone", () => {
  it("never updates or deletes the other installation's records, and reports them as foreign", async () => {
    const { cf, provider, token } = await setup();
    const prod = await provider.ensureRecord(want("shared.example.test", "192.0.2.1", { marker: recordMarker(installationId(), "standalone", "p1") }));
    const staging = new CloudflareProvider({ type: "cloudflare", apiToken: token, zoneId: cf.zones[0].id, baseUrl: cf.url }, { installation: "staging" });
    const theirs = want("shared.example.test", "192.0.2.99", { marker: recordMarker("staging", "standalone", "s1") });
    await expect(staging.ensureRecord(theirs)).rejects.toMatchObject({ code: "FOREIGN_RESOURCE", message: expect.stringMatching(/another Wharf installation/) });
    await expect(staging.deleteRecord({ fqdn: "shared.example.test", type: "A", id: prod.id })).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    const results = await staging.applyChanges([
      { op: "update", id: prod.id, record: theirs },
      { op: "delete", id: prod.id, fqdn: "shared.example.test", type: "A", content: "192.0.2.1" },
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, false]);
    await staging.deleteRecord({ fqdn: "shared.example.test", type: "A" });
    expect(cf.records()).toMatchObject([{ id: prod.id, content: "192.0.2.1", comment: prod.marker }]);
  });

  it("rewrites a legacy marker for the same consumer, and never adopts a legacy marker of another consumer", async () => {
    const { cf, provider } = await setup();
    const legacy = cf.addRecord({ name: "old.example.test", type: "A", content: "192.0.2.1", ttl: 300, comment: "wharf:instance:ckold" });
    const rec = await provider.ensureRecord(want("old.example.test", "192.0.2.1", { marker: marker("ckold") }));
    expect(rec).toMatchObject({ id: legacy.id, marker: marker("ckold") });
    cf.addRecord({ name: "other.example.test", type: "A", content: "192.0.2.1", ttl: 300, comment: "wharf:instance:cksomeone" });
    await expect(provider.ensureRecord(want("other.example.test", "192.0.2.1", { marker: marker("ckmine") }))).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
  });
});
