import { expect, test } from "@playwright/test";
import { STATE } from "./fixtures/auth";

test.describe("anonymous", () => {
  test("health answers without auth", async ({ request }) => {
    const res = await request.get("/api/health");
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ db: "ok", dns: "wildcard", proxy: "not_configured" });
    expect(["ok", "degraded"]).toContain(body.status);
    expect(["ok", "unreachable"]).toContain(body.docker);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.messages).toBeUndefined();
  });

  test("an unauthenticated API call gets 401 with the error shape", async ({ request }) => {
    for (const res of [await request.get("/api/settings"), await request.put("/api/settings", { data: {} }), await request.get("/api/tokens")]) {
      expect(res.status()).toBe(401);
      const body = await res.json();
      expect(body.error.code).toBe("UNAUTHORIZED");
      expect(typeof body.error.message).toBe("string");
    }
    const bad = await request.get("/api/settings", { headers: { authorization: "Bearer wharf_not-a-real-token" } });
    expect(bad.status()).toBe(401);
  });
});

test.describe("admin", () => {
  test.use({ storageState: STATE.admin });

  test("a malformed body gets 400 naming the field", async ({ request }) => {
    const cases: [unknown, string][] = [
      [{ dns: { ttl: "soon" } }, "dns.ttl"],
      [{ baseDomain: "UPPER CASE" }, "baseDomain"],
      [{ proxy: { provider: { type: "caddy" } } }, "proxy.provider.adminUrl"],
      [{ dns: { provider: { type: "cloudflare", zoneId: "z" } } }, "dns.provider.apiToken"],
      [{ unknownThing: 1 }, "unknownThing"],
    ];
    for (const [data, field] of cases) {
      const res = await request.put("/api/settings", { data: data as object });
      expect(res.status(), JSON.stringify(data)).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe("VALIDATION");
      expect(body.error.message).toContain(field);
    }
    const notJson = await request.put("/api/settings", { headers: { "content-type": "application/json" }, data: Buffer.from("{oops") });
    expect(notJson.status()).toBe(400);
    expect((await notJson.json()).error.message).toContain("body");
    const notObject = await request.put("/api/settings", { data: [1, 2] });
    expect(notObject.status()).toBe(400);
    expect((await notObject.json()).error.message).toMatch(/^body: must be a JSON object/);
  });

  test("PUT /api/settings is a partial update and secrets are write-only", async ({ request }) => {
    // The proxy provider goes back afterwards (Caddy, which has no secret): later files deploy through it.
    const original = (await (await request.get("/api/settings")).json()).proxy;
    try {
      const put = await request.put("/api/settings", {
        data: { proxy: { provider: { type: "npm", url: "http://127.0.0.1:81", email: "npm@example.com", password: "npm-secret-pw" } } },
      });
      expect(put.status()).toBe(200);
      const body = await put.json();
      expect(body.proxy.provider).toEqual({ type: "npm", url: "http://127.0.0.1:81", email: "npm@example.com", passwordSet: true });
      const before = await (await request.get("/api/settings")).json();
      await request.put("/api/settings", { data: { sync: { intervalMinutes: 7 } } });
      const after = await (await request.get("/api/settings")).json();
      expect(after.sync.intervalMinutes).toBe(7);
      expect(after.proxy).toEqual(before.proxy);
      expect(after.baseDomain).toBe(before.baseDomain);
      expect(JSON.stringify(after)).not.toContain("npm-secret-pw");
    } finally {
      expect((await request.put("/api/settings", { data: { proxy: original } })).status()).toBe(200);
    }
  });

  test("tokens: created once, listed without the secret, revoked", async ({ request, playwright, baseURL }) => {
    const created = await request.post("/api/tokens", { data: { name: "api-test", role: "admin" } });
    expect(created.status()).toBe(201);
    const { id, token } = await created.json();
    const list = await (await request.get("/api/tokens")).json();
    expect(JSON.stringify(list)).not.toContain(token);
    expect(list.tokens.map((t: { id: string }) => t.id)).toContain(id);
    const bearer = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
    expect((await bearer.put("/api/settings", { data: { dns: { ttl: 600 } } })).status()).toBe(200);
    expect((await request.delete(`/api/tokens/${id}`)).status()).toBe(204);
    expect((await bearer.get("/api/settings")).status()).toBe(401);
    await bearer.dispose();
  });
});
