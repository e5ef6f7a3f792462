import { afterEach, describe, expect, it } from "vitest";
import { MARK, closeDoubles, setupCloudflare as setup, want, writesTo as writes } from "../../test/doubles/dns-helpers";
import { AppError } from "../errors";
import { CloudflareProvider } from "./cloudflare";

afterEach(closeDoubles);

describe("CloudflareProvider.ensureRecord", () => {
  it("creates the record with the marker as comment and returns the read-back", async () => {
    const { cf, provider } = await setup();
    const rec = await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    expect(rec).toMatchObject({ fqdn: "app.example.test", type: "A", content: "192.0.2.10", ttl: 300, proxied: false, marker: MARK });
    expect(cf.records()).toMatchObject([{ id: rec.id, name: "app.example.test", content: "192.0.2.10", comment: MARK }]);
    const post = cf.requests.findIndex((r) => r.method === "POST");
    expect(cf.requests.slice(post + 1).some((r) => r.method === "GET" && r.path.endsWith(`/dns_records/${rec.id}`))).toBe(true);
    expect(provider.zone).toBe("example.test");
  });

  it("is idempotent: a second ensure sends no write and leaves one record", async () => {
    const { cf, provider } = await setup();
    const first = await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    const writesBefore = writes(cf).length;
    const second = await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    expect(second.id).toBe(first.id);
    expect(writes(cf).length).toBe(writesBefore);
    expect(cf.records()).toHaveLength(1);
  });

  it("updates content and TTL in place", async () => {
    const { cf, provider } = await setup();
    const first = await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    const updated = await provider.ensureRecord(want("app.example.test", "192.0.2.20", { ttl: 600 }));
    expect(updated).toMatchObject({ id: first.id, content: "192.0.2.20", ttl: 600 });
    expect(cf.records()).toMatchObject([{ id: first.id, content: "192.0.2.20", ttl: 600 }]);
  });

  it("treats a proxied record's automatic TTL as matching", async () => {
    const { cf, provider } = await setup();
    await provider.ensureRecord(want("app.example.test", "192.0.2.10", { proxied: true }));
    expect(cf.records()[0]).toMatchObject({ proxied: true, ttl: 1 });
    const writesBefore = writes(cf).length;
    await provider.ensureRecord(want("app.example.test", "192.0.2.10", { proxied: true }));
    expect(writes(cf).length).toBe(writesBefore);
  });

  it("switches its own A record to a CNAME without leaving the A behind", async () => {
    const { cf, provider } = await setup();
    await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    await provider.ensureRecord(want("app.example.test", "edge.example.com"));
    expect(cf.records()).toMatchObject([{ type: "CNAME", content: "edge.example.com", comment: MARK }]);
  });

  it("keeps one of its own duplicates and deletes the rest", async () => {
    const { cf, provider } = await setup();
    for (const ip of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) cf.addRecord({ name: "app.example.test", type: "A", content: ip, ttl: 300, comment: MARK });
    const rec = await provider.ensureRecord(want("app.example.test", "192.0.2.2"));
    expect(cf.records()).toMatchObject([{ id: rec.id, content: "192.0.2.2" }]);
  });

  it("refuses a record at the name that is not Wharf's and leaves it untouched", async () => {
    const { cf, provider } = await setup();
    const foreign = cf.addRecord({ name: "app.example.test", type: "A", content: "198.51.100.7", ttl: 120, comment: "managed by hand" });
    const err = await provider.ensureRecord(want("app.example.test", "192.0.2.10")).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe("FOREIGN_RESOURCE");
    expect(cf.records()).toEqual([foreign]);
    expect(writes(cf)).toHaveLength(0);
  });

  it("refuses a CNAME when a foreign A record holds the name", async () => {
    const { cf, provider } = await setup();
    const foreign = cf.addRecord({ name: "app.example.test", type: "A", content: "198.51.100.7" });
    await expect(provider.ensureRecord(want("app.example.test", "edge.example.com"))).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    expect(cf.records()).toEqual([foreign]);
  });

  it("rejects a marker longer than Cloudflare's comment limit before sending anything", async () => {
    const { cf, provider } = await setup();
    await expect(provider.ensureRecord(want("app.example.test", "192.0.2.10", { marker: `wharf:${"x".repeat(100)}` }))).rejects.toMatchObject({
      code: "VALIDATION",
    });
    expect(cf.requests).toHaveLength(0);
  });
});

describe("CloudflareProvider: 'record already exists' (81057/81058)", () => {
  it("adopts the record when a concurrent Wharf created it first", async () => {
    const { cf, provider } = await setup();
    cf.onRequest(({ method, path }) => {
      if (method === "POST" && path.endsWith("/dns_records")) {
        cf.onRequest(null);
        cf.addRecord({ name: "app.example.test", type: "A", content: "192.0.2.10", ttl: 300, comment: MARK });
      }
    });
    const rec = await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    expect(cf.requests.some((r) => r.method === "POST" && r.status === 400)).toBe(true);
    expect(cf.records()).toMatchObject([{ id: rec.id, comment: MARK }]);
  });

  it("answers FOREIGN_RESOURCE when the record that won the race is not Wharf's (81057 variant)", async () => {
    const { cf, provider } = await setup({ limits: { duplicateCode: 81057 } });
    cf.onRequest(({ method, path }) => {
      if (method === "POST" && path.endsWith("/dns_records")) {
        cf.onRequest(null);
        cf.addRecord({ name: "app.example.test", type: "A", content: "192.0.2.10", ttl: 300 });
      }
    });
    await expect(provider.ensureRecord(want("app.example.test", "192.0.2.10"))).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    expect(cf.records()).toMatchObject([{ comment: null, content: "192.0.2.10" }]);
  });
});

describe("CloudflareProvider.deleteRecord", () => {
  it("deletes its record, confirms by reading back, and succeeds again when already gone", async () => {
    const { cf, provider } = await setup();
    const rec = await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    await provider.deleteRecord({ fqdn: "app.example.test", type: "A", id: rec.id });
    expect(cf.records()).toHaveLength(0);
    await provider.deleteRecord({ fqdn: "app.example.test", type: "A", id: rec.id });
    expect(await provider.verifyRecord({ fqdn: "app.example.test", type: "A" })).toBeNull();
  });

  it("never deletes a foreign record, even when asked by id", async () => {
    const { cf, provider } = await setup();
    const foreign = cf.addRecord({ name: "app.example.test", type: "A", content: "198.51.100.7" });
    await provider.deleteRecord({ fqdn: "app.example.test", type: "A" });
    await expect(provider.deleteRecord({ fqdn: "app.example.test", type: "A", id: foreign.id })).rejects.toMatchObject({ code: "FOREIGN_RESOURCE" });
    expect(cf.records()).toEqual([foreign]);
  });

  it("ends with the record gone when deletes answer success without deleting", async () => {
    const { cf, provider } = await setup();
    await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    cf.setFaults({ lyingDeleteRate: 0.5, seed: 7 }); // seed 7: the first two deletes lie
    await provider.deleteRecord({ fqdn: "app.example.test", type: "A" });
    expect(cf.records()).toHaveLength(0);
    expect(cf.requests.some((r) => r.fault === "lie")).toBe(true);
  });
});

describe("CloudflareProvider reads", () => {
  it("pages through a zone larger than the server's page size without asking past the last page", async () => {
    const { cf, provider } = await setup({ maxPerPage: 50 });
    for (let i = 0; i < 120; i++) cf.addRecord({ name: `h${i}.example.test`, type: "A", content: `192.0.2.${i}` });
    cf.addRecord({ name: "txt.example.test", type: "TXT", content: "hello" });
    const records = await provider.listRecords();
    expect(records).toHaveLength(120);
    expect(new Set(records.map((r) => r.fqdn)).size).toBe(120);
    const pages = cf.requests.filter((r) => r.method === "GET" && r.path.endsWith("/dns_records")).map((r) => r.query.page);
    expect(pages).toEqual(["1", "2", "3"]);
  });

  it("lists zones and counts every request it sends", async () => {
    const { cf, provider } = await setup({ zones: [{ id: "z1", name: "example.test" }, { id: "z2", name: "example.com" }] });
    expect(await provider.listZones()).toEqual([{ id: "z1", name: "example.test" }, { id: "z2", name: "example.com" }]);
    await provider.ensureRecord(want("app.example.test", "192.0.2.10"));
    expect(provider.apiCalls).toBe(cf.requests.length);
  });
});

describe("CloudflareProvider.testConnection", () => {
  it("reports success with the zone name", async () => {
    const { provider } = await setup();
    expect(await provider.testConnection()).toEqual({ ok: true, message: "Connected to zone example.test" });
  });

  it("reports Cloudflare's exact message for a bad token, a token without zone access and a missing token", async () => {
    const { cf } = await setup({ restrictedTokens: ["no-zones"] });
    const make = (apiToken: string) => new CloudflareProvider({ type: "cloudflare", apiToken, zoneId: cf.zones[0].id, baseUrl: cf.url });
    expect(await make("wrong").testConnection()).toEqual({ ok: false, message: "Invalid access token" });
    expect(await make("no-zones").testConnection()).toEqual({ ok: false, message: "Authentication error" });
    expect(await make("").testConnection()).toEqual({ ok: false, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" });
    await expect(make("wrong").ensureRecord(want("app.example.test", "192.0.2.10"))).rejects.toMatchObject({
      code: "PROVIDER_ERROR",
      message: "Invalid access token",
    });
  });
});
