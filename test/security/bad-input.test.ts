import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { SYSTEM_ACTOR } from "@/lib/audit/record-event";
import { updateSettings } from "@/lib/configuration/update-settings";
import { getSettings } from "@/lib/settings/get-settings";
import { encodeCursor } from "@/lib/pagination";
import { listApiTokens } from "@/lib/auth/tokens";
import { parseTail } from "@/lib/instances/instance-logs";
import { loginErrorMessage } from "@/lib/auth/login-errors";
import { PowerDnsApi } from "@/lib/dns/powerdns-api";
import { AdguardApi } from "@/lib/dns/adguard-api";
import * as tlsRoot from "@/app/api/tls/root/route";

// Issue 21, "bad input is a 4xx, never a 500 or a bricked row".

describe("secrets", () => {
  it("a secret that starts with enc:v1: round-trips as plain text (stored encrypted), and settings stay readable", async () => {
    const apiKey = "enc:v1:AAAA:BBBB:CCCC";
    await updateSettings({ actor: SYSTEM_ACTOR, body: { dns: { mode: "managed", provider: { type: "powerdns", apiUrl: "http://127.0.0.1:8081", apiKey, zone: "example.com" } } } });
    expect((await getSettings()).dns.provider).toMatchObject({ apiKey });
    const stored = (await db.setting.findUniqueOrThrow({ where: { key: "settings" } })).value;
    expect(stored).not.toContain(apiKey);
    // A later save keeps it, still readable.
    await updateSettings({ actor: SYSTEM_ACTOR, body: { sync: { intervalMinutes: 7 } } });
    expect((await getSettings()).dns.provider).toMatchObject({ apiKey });
  });
});

describe("cursors", () => {
  it("a forged cursor whose key has the wrong type is a 400 naming cursor, not a query error", async () => {
    for (const [sort, value] of [["name", 5], ["createdAt", "not-a-date"], ["createdAt", 1700000000000]] as const) {
      const cursor = encodeCursor({ sort, dir: sort === "name" ? "asc" : "desc", value, id: "x", back: false });
      const params = new URLSearchParams({ sort, dir: sort === "name" ? "asc" : "desc", cursor });
      await expect(listApiTokens({ params }), `${sort}=${value}`).rejects.toMatchObject({ code: "VALIDATION", field: "cursor" });
    }
  });
});

describe("log tail", () => {
  it("is 1 to 10,000; anything else is a 400 naming tail", () => {
    expect(parseTail(null)).toBe(200);
    expect(parseTail("1")).toBe(1);
    expect(parseTail("10000")).toBe(10_000);
    for (const bad of ["-1", "0", "10001", "abc", "1e3", "2.5", " 5", "99999999999"]) expect(() => parseTail(bad), bad).toThrow(expect.objectContaining({ code: "VALIDATION", field: "tail" }));
  });
});

describe("/login?error", () => {
  it("shows only known messages; arbitrary or malformed text is a generic failure", () => {
    expect(loginErrorMessage("CredentialsSignin")).toBe("Invalid e-mail or password.");
    expect(loginErrorMessage("Too many failed sign-in attempts. Try again in 3 minute(s).")).toBe("Too many failed sign-in attempts. Try again in 3 minute(s).");
    for (const hostile of ["Your account is suspended, call +1 555 0100", "%E0", "\uFFFD", "<b>x</b>", "constructor", "__proto__"]) expect(loginErrorMessage(hostile), hostile).toBe("Sign-in failed. Try again.");
    expect(loginErrorMessage(undefined)).toBeUndefined();
    expect(loginErrorMessage(["CredentialsSignin", "x"])).toBe("Invalid e-mail or password.");
  });
});

describe("anonymous endpoints", () => {
  it("/api/tls/root answers generically: no admin URL, no connection error", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { proxy: { provider: { type: "caddy", adminUrl: "http://127.0.0.1:1", server: "srv0" } }, tls: { mode: "internal" } } });
    const res = await tlsRoot.GET();
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain("127.0.0.1:1");
    expect(text).not.toMatch(/ECONNREFUSED|connect/i);
    expect(JSON.parse(text)).toMatchObject({ error: { code: "UNAVAILABLE" } });
  });
});

describe("provider clients carrying secrets never follow redirects", () => {
  it("PowerDNS's X-API-Key and AdGuard's Basic auth do not reach the redirect's target; the error says why", async () => {
    const reached: (string | undefined)[] = [];
    const target = http.createServer((req, res) => {
      reached.push(String(req.headers["x-api-key"] ?? req.headers.authorization ?? "none"));
      res.writeHead(200, { "content-type": "application/json" }).end("[]");
    });
    await new Promise<void>((r) => target.listen(0, "127.0.0.2", r));
    const targetUrl = `http://127.0.0.2:${(target.address() as AddressInfo).port}`;
    const redirector = http.createServer((req, res) => res.writeHead(307, { location: `${targetUrl}${req.url}` }).end());
    await new Promise<void>((r) => redirector.listen(0, "127.0.0.1", r));
    const from = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
    try {
      const pdns = new PowerDnsApi(from, "localhost", "pdns-secret-key", { retry: { attempts: 1 } });
      await expect(pdns.request("GET", "/zones")).rejects.toMatchObject({ code: "PROVIDER_ERROR", message: expect.stringContaining(`redirect (307) to ${targetUrl}`) });
      const adguard = new AdguardApi(from, "admin", "adguard-secret", { retry: { attempts: 1 } });
      await expect(adguard.list()).rejects.toMatchObject({ message: expect.stringContaining("redirects are not followed") });
      expect(reached).toEqual([]);
    } finally {
      await new Promise((r) => target.close(r));
      await new Promise((r) => redirector.close(r));
    }
  });
});
