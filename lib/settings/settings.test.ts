import { describe, expect, it } from "vitest";
import { db } from "../db";
import { AppError } from "../errors";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { decryptSecret, encryptSecret } from "./crypto";
import { defaultSettings } from "./defaults";
import { getSettings, SETTINGS_KEY } from "./get-settings";
import { toPublicSettings } from "./public-settings";
import { applySettingsUpdate, updateSettings } from "../configuration/update-settings";

function validationField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("VALIDATION");
    return (err as AppError).field;
  }
  throw new Error("expected a validation error");
}

describe("settings", () => {
  it("defaults to wildcard DNS and no providers", async () => {
    const s = await getSettings();
    expect(s.dns.mode).toBe("wildcard");
    expect(s.dns.provider).toBeNull();
    expect(s.proxy.provider).toBeNull();
    expect(s.sync.intervalMinutes).toBe(5);
  });

  it("encrypts secrets at rest with AES-256-GCM and never returns them", async () => {
    await updateSettings({
      actor: SYSTEM_ACTOR,
      body: { dns: { mode: "managed", provider: { type: "cloudflare", apiToken: "cf-secret-token-123", zoneId: "zone1" } } },
    });
    const row = await db.setting.findUniqueOrThrow({ where: { key: SETTINGS_KEY } });
    expect(row.value).not.toContain("cf-secret-token-123");
    expect(row.value).toMatch(/enc:v1:/);
    const s = await getSettings();
    expect(s.dns.provider).toMatchObject({ type: "cloudflare", apiToken: "cf-secret-token-123", zoneId: "zone1" });
    const pub = toPublicSettings(s);
    expect(JSON.stringify(pub)).not.toContain("cf-secret-token-123");
    expect(pub.dns.provider).toEqual({ type: "cloudflare", zoneId: "zone1", apiTokenSet: true });
  });

  it("keeps a stored secret when a partial update omits it, and drops it when the provider type or address changes", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { dns: { mode: "managed", provider: { type: "powerdns", apiUrl: "http://127.0.0.1:8081", apiKey: "k1", zone: "example.com" } } } });
    await updateSettings({ actor: SYSTEM_ACTOR, body: { dns: { provider: { type: "powerdns", apiUrl: "http://127.0.0.1:8081", zone: "other.example.com" } } } });
    expect((await getSettings()).dns.provider).toMatchObject({ zone: "other.example.com", apiKey: "k1" });
    await expect(updateSettings({ actor: SYSTEM_ACTOR, body: { dns: { provider: { type: "powerdns", apiUrl: "http://127.0.0.1:8082", zone: "example.com" } } } })).rejects.toMatchObject({
      code: "VALIDATION",
      field: "dns.provider.apiKey",
    });
    const s = await getSettings();
    expect(s.dns.provider).toMatchObject({ apiUrl: "http://127.0.0.1:8081", apiKey: "k1" });
    const field = validationField(() => applySettingsUpdate(s, { dns: { provider: { type: "adguard", url: "http://127.0.0.1:3000", username: "admin" } } }));
    expect(field).toBe("dns.provider.password");
  });

  it("leaves fields not sent unchanged", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { baseDomain: "apps.example.com" } });
    await updateSettings({ actor: SYSTEM_ACTOR, body: { targetAddress: "203.0.113.7" } });
    const s = await getSettings();
    expect(s.baseDomain).toBe("apps.example.com");
    expect(s.targetAddress).toBe("203.0.113.7");
    expect(s.docker.network).toBe(defaultSettings().docker.network);
  });

  it("names the bad field", () => {
    const base = defaultSettings();
    expect(validationField(() => applySettingsUpdate(base, { baseDomain: "Not A Domain" }))).toBe("baseDomain");
    expect(validationField(() => applySettingsUpdate(base, { dns: { ttl: 0 } }))).toBe("dns.ttl");
    expect(validationField(() => applySettingsUpdate(base, { dns: { mode: "sometimes" } }))).toBe("dns.mode");
    expect(validationField(() => applySettingsUpdate(base, { proxy: { provider: { type: "caddy", adminUrl: "ftp://x" } } }))).toBe("proxy.provider.adminUrl");
    expect(validationField(() => applySettingsUpdate(base, { dns: { mode: "managed" } }))).toBe("dns.provider");
    expect(validationField(() => applySettingsUpdate(base, { colour: "blue" }))).toBe("colour");
    expect(validationField(() => applySettingsUpdate(base, { sync: { intervalMinutes: "often" } }))).toBe("sync.intervalMinutes");
  });

  it("validates TTL per provider: Cloudflare takes 1 or 60-86400, others 1-86400", () => {
    const cf = { type: "cloudflare", apiToken: "t", zoneId: "z" };
    const pdns = { type: "powerdns", apiUrl: "http://127.0.0.1:8081", apiKey: "k", zone: "example.test" };
    const base = defaultSettings();
    for (const ttl of [2, 30, 59]) {
      expect(validationField(() => applySettingsUpdate(base, { dns: { ttl, provider: cf } }))).toBe("dns.ttl");
      expect(applySettingsUpdate(base, { dns: { ttl, provider: pdns } }).dns.ttl).toBe(ttl);
    }
    for (const ttl of [1, 60, 86400]) expect(applySettingsUpdate(base, { dns: { ttl, provider: cf } }).dns.ttl).toBe(ttl);
    // Switching to Cloudflare with a TTL stored for another provider is refused too, naming the TTL.
    const pdnsAt30 = applySettingsUpdate(base, { dns: { ttl: 30, provider: pdns } });
    expect(validationField(() => applySettingsUpdate(pdnsAt30, { dns: { provider: cf } }))).toBe("dns.ttl");
  });

  it("does not write anything when validation fails", async () => {
    const before = await db.setting.findUnique({ where: { key: SETTINGS_KEY } });
    await expect(updateSettings({ actor: SYSTEM_ACTOR, body: { baseDomain: "ok.example.com", dns: { ttl: -5 } } })).rejects.toThrow(/dns.ttl/);
    const after = await db.setting.findUnique({ where: { key: SETTINGS_KEY } });
    expect(after?.value).toBe(before?.value);
    const audit = await db.auditEvent.findFirst({ where: { action: "settings.update", result: "error" }, orderBy: { createdAt: "desc" } });
    expect(audit?.message).toMatch(/dns.ttl/);
  });

  it("takes container-friendly defaults from the environment (docker-compose.yml)", async () => {
    const { resetEnvCache } = await import("../env");
    process.env.WHARF_UPSTREAM_NETWORK = "wharf-net";
    process.env.WHARF_CADDY_ADMIN_URL = "http://caddy-admin:2019/";
    resetEnvCache();
    try {
      const d = defaultSettings();
      expect(d.proxy.upstream).toEqual({ mode: "network", network: "wharf-net" });
      expect(d.docker.network).toBe("wharf-net");
      expect(d.proxy.provider).toEqual({ type: "caddy", adminUrl: "http://caddy-admin:2019", server: "wharf" });
    } finally {
      delete process.env.WHARF_UPSTREAM_NETWORK;
      delete process.env.WHARF_CADDY_ADMIN_URL;
      resetEnvCache();
    }
    expect(defaultSettings().proxy).toEqual({ provider: null, upstream: { mode: "host", hostAddress: "127.0.0.1" } });
  });

  it("round-trips the cipher and rejects tampering", () => {
    const env = encryptSecret("hello");
    expect(decryptSecret(env)).toBe("hello");
    const parts = env.split(":");
    parts[4] = Buffer.from("tampered").toString("base64url");
    expect(() => decryptSecret(parts.join(":"))).toThrow();
  });
});
