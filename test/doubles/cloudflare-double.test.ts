import { afterEach, describe, expect, it } from "vitest";
import { type CloudflareDouble, type CloudflareDoubleOptions, startCloudflareDouble } from "./cloudflare-double";

// The Cloudflare double's rules, as Cloudflare documents them (issue 12):
// the provider tests are only as good as these.

let cf: CloudflareDouble;
afterEach(() => cf.close());

async function start(opts: CloudflareDoubleOptions = {}) {
  cf = await startCloudflareDouble({ tokens: ["t1", "t2"], ...opts });
  const zone = cf.zones[0].id;
  const call = async (method: string, path: string, body?: unknown, token = "t1") => {
    const res = await fetch(`${cf.url}/zones/${zone}/dns_records${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { success: boolean; errors: { code: number; message: string; error_chain?: unknown[] }[]; result: unknown } };
  };
  return { call };
}

describe("Cloudflare double", () => {
  it("runs a batch as deletes, patches, puts, posts in one transaction and answers the first error", async () => {
    const { call } = await start();
    const a = cf.addRecord({ name: "a.example.test", type: "A", content: "192.0.2.1", ttl: 300 });
    // The put names the record the batch deletes first: 81044, and nothing of the batch stays.
    const refused = await call("POST", "/batch", { deletes: [{ id: a.id }], puts: [{ id: a.id, name: "a.example.test", type: "CNAME", content: "edge.example.com", ttl: 300 }], posts: [{ name: "b.example.test", type: "A", content: "192.0.2.2", ttl: 300 }] });
    expect(refused).toMatchObject({ status: 404, body: { success: false, errors: [{ code: 81044 }] } });
    expect(cf.records().map((r) => r.id)).toEqual([a.id]);
    // Deleted first, so a CNAME may then be posted at the same name.
    const ok = await call("POST", "/batch", { deletes: [{ id: a.id }], posts: [{ name: "a.example.test", type: "CNAME", content: "edge.example.com", ttl: 300 }] });
    expect(ok.status).toBe(200);
    expect(cf.records()).toMatchObject([{ name: "a.example.test", type: "CNAME" }]);
  });

  it("keeps unsent fields on PATCH and resets them on PUT", async () => {
    const { call } = await start();
    const r = cf.addRecord({ name: "t.example.test", type: "A", content: "192.0.2.1", ttl: 300, comment: "keep me", tags: ["team:ops"] } as never);
    await call("PATCH", `/${r.id}`, { content: "192.0.2.2" });
    expect(cf.records()[0]).toMatchObject({ content: "192.0.2.2", ttl: 300, comment: "keep me", tags: ["team:ops"] });
    await call("PUT", `/${r.id}`, { name: "t.example.test", type: "A", content: "192.0.2.3" });
    expect(cf.records()[0]).toMatchObject({ content: "192.0.2.3", ttl: 1, comment: null, tags: [] });
  });

  it("answers CNAME clashes, proxied private targets, TTLs and the record quota with Cloudflare's codes", async () => {
    const { call } = await start({ limits: { recordQuota: 2 } });
    cf.addRecord({ name: "c.example.test", type: "CNAME", content: "edge.example.com", ttl: 300 });
    expect((await call("POST", "", { name: "c.example.test", type: "A", content: "192.0.2.1", ttl: 300 })).body.errors[0].code).toBe(81054);
    expect((await call("POST", "", { name: "c.example.test", type: "CNAME", content: "other.example.com", ttl: 300 })).body.errors[0].code).toBe(81053);
    expect((await call("POST", "", { name: "p.example.test", type: "A", content: "10.1.2.3", proxied: true })).body.errors).toEqual([
      { code: 9003, message: "Target 10.1.2.3 is not allowed for a proxied record." },
    ]);
    expect((await call("POST", "", { name: "ttl.example.test", type: "A", content: "192.0.2.1", ttl: 30 })).body.errors).toMatchObject([
      { code: 1004, message: "DNS Validation Error", error_chain: [{ code: 9021 }] },
    ]);
    expect((await call("POST", "", { name: "one.example.test", type: "A", content: "192.0.2.1", ttl: 60 })).status).toBe(200);
    expect((await call("POST", "", { name: "two.example.test", type: "A", content: "192.0.2.1", ttl: 60 })).body.errors).toEqual([{ code: 81045, message: "Record quota exceeded." }]);
  });

  it("counts the rate limit per user, across all of that user's tokens", async () => {
    const { call } = await start({ users: { t1: "alice", t2: "alice" }, rateLimit: { limit: 3, windowMs: 60_000 } });
    for (const token of ["t1", "t2", "t1"]) expect((await call("GET", "", undefined, token)).status).toBe(200);
    expect((await call("GET", "", undefined, "t2")).status).toBe(429);
  });
});
