import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { getSettings } from "./get-settings";
import { testDraftConnection } from "../configuration/test-draft";
import { applySettingsUpdate, updateSettings } from "../configuration/update-settings";

// A stored secret never follows a changed address (SPEC §3, §12). The "new
// address" is a real loopback listener that records everything it receives.

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; body: string }
let listener: Server;
let newAddress: string;
const seen: Seen[] = [];

beforeAll(async () => {
  listener = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ success: false, errors: [{ code: 10000, message: "Authentication error" }], error: { message: "nope" } }));
    });
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  newAddress = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => listener.close(resolve)));

const OLD_CF = "cf-old-secret-token-0123456789";
const OLD_NPM = "npm-old-secret-password";
const everything = () => JSON.stringify(seen);

describe("secrets are bound to their address", () => {
  it("Cloudflare: a changed baseUrl needs the token again; neither the save nor Test connection sends the old one", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { dns: { provider: { type: "cloudflare", apiToken: OLD_CF, zoneId: "z1", baseUrl: "http://127.0.0.1:9/client/v4" } } } });
    const moved = { dns: { mode: "managed", provider: { type: "cloudflare", zoneId: "z1", baseUrl: `${newAddress}/client/v4` } } };
    await expect(updateSettings({ actor: SYSTEM_ACTOR, body: moved })).rejects.toMatchObject({ code: "VALIDATION", field: "dns.provider.apiToken", message: expect.stringMatching(/baseUrl changed/) });
    await expect(testDraftConnection({ actor: SYSTEM_ACTOR, target: "dns", body: moved })).rejects.toMatchObject({ field: "dns.provider.apiToken" });
    // Dropping a custom baseUrl (back to Cloudflare's own API) is a change of address too.
    await expect(testDraftConnection({ actor: SYSTEM_ACTOR, target: "dns", body: { dns: { mode: "managed", provider: { type: "cloudflare", zoneId: "z1" } } } })).rejects.toMatchObject({ field: "dns.provider.apiToken" });
    expect(seen).toHaveLength(0);
    expect((await getSettings()).dns.provider).toMatchObject({ baseUrl: "http://127.0.0.1:9/client/v4", apiToken: OLD_CF });

    // With the secret entered again, the draft does reach the new address, with the new secret only.
    const res = await testDraftConnection({ actor: SYSTEM_ACTOR, target: "dns", body: { dns: { ...moved.dns, provider: { ...moved.dns.provider, apiToken: "cf-new-token" } } } });
    expect(res.ok).toBe(false);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.some((r) => r.headers.authorization === "Bearer cf-new-token")).toBe(true);
    expect(everything()).not.toContain(OLD_CF);
  });

  it("NPM: a changed url needs the password again; nothing reaches the new address with the old one", async () => {
    seen.length = 0;
    await updateSettings({ actor: SYSTEM_ACTOR, body: { proxy: { provider: { type: "npm", url: "http://127.0.0.1:9", email: "ops@example.com", password: OLD_NPM } } } });
    const moved = { proxy: { provider: { type: "npm", url: newAddress, email: "ops@example.com" } } };
    await expect(updateSettings({ actor: SYSTEM_ACTOR, body: moved })).rejects.toMatchObject({ code: "VALIDATION", field: "proxy.provider.password" });
    await expect(testDraftConnection({ actor: SYSTEM_ACTOR, target: "proxy", body: moved })).rejects.toMatchObject({ field: "proxy.provider.password" });
    expect(seen).toHaveLength(0);
    await testDraftConnection({ actor: SYSTEM_ACTOR, target: "proxy", body: { proxy: { provider: { ...moved.proxy.provider, password: "npm-new-password" } } } });
    expect(seen.length).toBeGreaterThan(0);
    expect(everything()).toContain("npm-new-password");
    expect(everything()).not.toContain(OLD_NPM);
  });

  it("PowerDNS apiUrl and AdGuard url: the same rule; an unchanged address keeps the secret", async () => {
    const s = await updateSettings({ actor: SYSTEM_ACTOR, body: { dns: { provider: { type: "powerdns", apiUrl: "http://127.0.0.1:9", apiKey: "pdns-key", zone: "example.com" } } } });
    expect(() => applySettingsUpdate(s, { dns: { provider: { type: "powerdns", apiUrl: newAddress, zone: "example.com" } } })).toThrow(expect.objectContaining({ field: "dns.provider.apiKey" }));
    expect(applySettingsUpdate(s, { dns: { provider: { type: "powerdns", apiUrl: "http://127.0.0.1:9", zone: "example.org" } } }).dns.provider).toMatchObject({ apiKey: "pdns-key" });
    const a = await updateSettings({ actor: SYSTEM_ACTOR, body: { dns: { provider: { type: "adguard", url: "http://127.0.0.1:9", username: "admin", password: "ag-pass" } } } });
    expect(() => applySettingsUpdate(a, { dns: { provider: { type: "adguard", url: newAddress, username: "admin" } } })).toThrow(expect.objectContaining({ field: "dns.provider.password" }));
    expect(seen.filter((r) => /pdns-key|ag-pass/.test(JSON.stringify(r)))).toHaveLength(0);
  });
});
