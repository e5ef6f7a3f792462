import { afterEach, describe, expect, it } from "vitest";
import type { LoggedRequest } from "../../test/doubles/http-double";
import { newId } from "../../test/doubles/cloudflare-double-store";
import { MARK, closeDoubles, setupCloudflare as setup, want } from "../../test/doubles/dns-helpers";
import { AppError } from "../errors";
import { recordMarker } from "../naming";
import { installationId } from "../secrets";
import type { RecordChange } from "./types";

// Batches, rate limits and injected failures against the Cloudflare double.

afterEach(closeDoubles);

const ip = (i: number) => `${["192.0.2", "198.51.100", "203.0.113"][Math.floor(i / 250)]}.${i % 250}`;
const batches = (cf: { requests: LoggedRequest[] }) => cf.requests.filter((r) => r.method === "POST" && r.path.endsWith("/batch"));

describe("CloudflareProvider.applyChanges", () => {
  it("chunks 450 creates into batches of the documented 200 and confirms them with one listing", async () => {
    const { cf, provider } = await setup();
    const changes: RecordChange[] = Array.from({ length: 450 }, (_, i) => ({ op: "create", record: want(`h${i}.example.test`, ip(i)) }));
    const results = await provider.applyChanges(changes);
    expect(results.filter((r) => r.ok)).toHaveLength(450);
    expect(results[449].record).toMatchObject({ fqdn: "h449.example.test", content: ip(449), marker: MARK });
    expect(cf.records()).toHaveLength(450);
    expect(batches(cf).map((r) => r.status)).toEqual([200, 200, 200]);
    // zone name, one listing before, three batches, one listing after
    expect(provider.apiCalls).toBe(6);
  });

  it("sends batches of 3,500 to a zone on a paid plan (read from the zone) and 200 to a Free one; the double refuses more", async () => {
    const enterprise = await setup({ zones: [{ id: newId(), name: "example.test", plan: "enterprise" }] });
    const changes: RecordChange[] = Array.from({ length: 5000 }, (_, i) => ({ op: "create", record: want(`h${i}.example.test`, "192.0.2.1") }));
    const results = await enterprise.provider.applyChanges(changes);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(enterprise.provider.batchSize).toBe(3500);
    expect(batches(enterprise.cf).map((r) => r.status)).toEqual([200, 200]);
    expect(enterprise.cf.records()).toHaveLength(5000);
    // zone, listing, 2 batches, read-back
    expect(enterprise.provider.apiCalls).toBe(5);

    const free = await setup({ zones: [{ id: newId(), name: "example.test", plan: "free" }] });
    await free.provider.applyChanges(changes.slice(0, 450));
    expect(free.provider.batchSize).toBe(200);
    expect(batches(free.cf)).toHaveLength(3);

    // The double holds each plan to its limit.
    const post = (d: typeof free, n: number) =>
      fetch(`${d.cf.url}/zones/${d.cf.zones[0].id}/dns_records/batch`, {
        method: "POST",
        headers: { authorization: `Bearer ${d.token}`, "content-type": "application/json" },
        body: JSON.stringify({ posts: Array.from({ length: n }, (_, i) => ({ name: `x${i}.example.test`, type: "A", content: "192.0.2.9" })) }),
      });
    expect((await post(free, 201)).status).toBe(400);
    expect((await post(enterprise, 3501)).status).toBe(400);
    expect((await post(enterprise, 201)).status).toBe(200);
  });

  it("a zone moved to Free after its plan was read: the refused 3,500 batch goes again in batches of 200, not one request per change", async () => {
    const { cf, provider } = await setup({ zones: [{ id: newId(), name: "example.test", plan: "enterprise" }] });
    await provider.resolveZone();
    expect(provider.batchSize).toBe(3500);
    cf.zones[0].plan = "free"; // downgraded behind the process's back
    const changes: RecordChange[] = Array.from({ length: 450 }, (_, i) => ({ op: "create", record: want(`d${i}.example.test`, "192.0.2.1") }));
    const results = await provider.applyChanges(changes);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(cf.records()).toHaveLength(450);
    expect(batches(cf).map((r) => r.status)).toEqual([400, 200, 200, 200]);
    expect(cf.requests.filter((r) => r.method === "POST" && r.path.endsWith("/dns_records"))).toHaveLength(0);
  });

  it("mixes creates, updates and deletes, skipping what is already right", async () => {
    const { cf, provider } = await setup();
    const keep = await provider.ensureRecord(want("same.example.test", "192.0.2.1"));
    const move = await provider.ensureRecord(want("move.example.test", "192.0.2.2"));
    const gone = await provider.ensureRecord(want("gone.example.test", "192.0.2.3"));
    const results = await provider.applyChanges([
      { op: "create", record: want("same.example.test", "192.0.2.1") },
      { op: "update", id: move.id, record: want("move.example.test", "192.0.2.22") },
      { op: "delete", id: gone.id, fqdn: "gone.example.test", type: "A", content: "192.0.2.3" },
      { op: "create", record: want("new.example.test", "192.0.2.4") },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    const byName = Object.fromEntries(cf.records().map((r) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(["move.example.test", "new.example.test", "same.example.test"]);
    expect(byName["same.example.test"].id).toBe(keep.id);
    expect(byName["move.example.test"]).toMatchObject({ id: move.id, content: "192.0.2.22" });
    expect(batches(cf)).toHaveLength(1);
  });

  it("falls back to one request per change when Cloudflare refuses the whole batch, isolating the bad change", async () => {
    const { cf, provider } = await setup();
    // Someone adds a record by hand between Wharf's listing and its batch: the batch fails as a whole (all-or-nothing).
    cf.onRequest(({ path }) => {
      if (path.endsWith("/batch")) {
        cf.onRequest(null);
        cf.addRecord({ name: "b.example.test", type: "A", content: "192.0.2.12" });
      }
    });
    const changes: RecordChange[] = ["a", "b", "c"].map((n, i) => ({ op: "create", record: want(`${n}.example.test`, `192.0.2.1${i + 1}`) }));
    const results = await provider.applyChanges(changes);
    expect(batches(cf).map((r) => r.status)).toEqual([400]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1].error).toMatch(/did not create/);
    expect(cf.records().find((r) => r.name === "b.example.test")).toMatchObject({ comment: null });
    expect(cf.records()).toHaveLength(3);
  });

  it("refuses changes that would touch foreign records without sending them", async () => {
    const { cf, provider } = await setup();
    const foreign = cf.addRecord({ name: "x.example.test", type: "A", content: "198.51.100.1" });
    const results = await provider.applyChanges([
      { op: "update", id: foreign.id, record: want("x.example.test", "192.0.2.1") },
      { op: "delete", id: foreign.id, fqdn: "x.example.test", type: "A", content: "198.51.100.1" },
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, false]);
    expect(cf.records()).toEqual([foreign]);
    expect(batches(cf)).toHaveLength(0);
  });
});

describe("CloudflareProvider rate limits", () => {
  it("backs off on 429, honouring retry-after, and then succeeds", async () => {
    const { cf, provider } = await setup({ rateLimit: { limit: 5, windowMs: 1_000 } });
    for (let i = 0; i < 7; i++) expect(await provider.verifyRecord({ fqdn: `h${i}.example.test`, type: "A" })).toBeNull();
    expect(cf.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(provider.apiCalls).toBe(cf.requests.length);
  });

  it("stays under the limit with its own budget, so Cloudflare never answers 429", async () => {
    // The budget is a little stricter than the server's limit: the server counts a request when it arrives, after Wharf did.
    const { cf, provider } = await setup({ rateLimit: { limit: 5, windowMs: 1_000 } }, { budget: { limit: 4, windowMs: 1_300 } });
    for (let i = 0; i < 10; i++) expect(await provider.verifyRecord({ fqdn: `h${i}.example.test`, type: "A" })).toBeNull();
    expect(cf.requests.filter((r) => r.status === 429)).toHaveLength(0);
    expect(cf.requests).toHaveLength(10);
  });

  it("fails with RATE_LIMITED instead of sleeping through a long block, and stops sending until it ends", async () => {
    const { cf, provider } = await setup({ rateLimit: { limit: 2, windowMs: 120_000 } }, { retry: { maxRetryAfterMs: 1_000 } });
    await provider.verifyRecord({ fqdn: "a.example.test", type: "A" });
    await provider.verifyRecord({ fqdn: "b.example.test", type: "A" });
    // The third request trips the limit: Cloudflare blocks the token for the whole window (retry-after 120).
    const err = await provider.verifyRecord({ fqdn: "c.example.test", type: "A" }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe("RATE_LIMITED");
    const sent = cf.requests.length;
    await expect(provider.verifyRecord({ fqdn: "d.example.test", type: "A" })).rejects.toMatchObject({ code: "RATE_LIMITED" });
    expect(cf.requests).toHaveLength(sent);
  });
});

describe("CloudflareProvider under injected 5xx", () => {
  it("converges to exactly the wanted records, with no duplicates, despite failures and lost answers", async () => {
    const { cf, provider } = await setup({}, { retry: { attempts: 8, baseDelayMs: 1, maxDelayMs: 5 } });
    await provider.resolveZone();
    cf.setFaults({ errorRate: 0.3, statuses: [500, 502, 503], appliedShare: 0.5, seed: 1 });
    for (let i = 0; i < 8; i++) await provider.ensureRecord(want(`h${i}.example.test`, `192.0.2.${i}`, { marker: recordMarker(installationId(), "instance", `i${i}`) }));
    for (let i = 0; i < 4; i++) await provider.ensureRecord(want(`h${i}.example.test`, `198.51.100.${i}`, { marker: recordMarker(installationId(), "instance", `i${i}`) }));
    for (let i = 6; i < 8; i++) await provider.deleteRecord({ fqdn: `h${i}.example.test`, type: "A" });
    cf.setFaults({ errorRate: 0 });
    const live = cf.records().map((r) => `${r.name} ${r.content} ${r.comment}`).sort();
    expect(live).toEqual([
      `h0.example.test 198.51.100.0 wharf:${installationId()}:instance:i0`,
      `h1.example.test 198.51.100.1 wharf:${installationId()}:instance:i1`,
      `h2.example.test 198.51.100.2 wharf:${installationId()}:instance:i2`,
      `h3.example.test 198.51.100.3 wharf:${installationId()}:instance:i3`,
      `h4.example.test 192.0.2.4 wharf:${installationId()}:instance:i4`,
      `h5.example.test 192.0.2.5 wharf:${installationId()}:instance:i5`,
    ]);
    expect(cf.requests.filter((r) => r.fault).length).toBeGreaterThan(3);
    // Some creates went through although Cloudflare answered 5xx: the case that must not produce duplicates.
    expect(cf.requests.some((r) => r.method === "POST" && r.fault === "applied")).toBe(true);
  });
});
