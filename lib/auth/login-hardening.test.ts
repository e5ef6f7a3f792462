import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { safeCallbackPath } from "./callback-url";
import { clientAddress } from "./options";
import { THROTTLE, reserveAttempt, settleAttempt } from "./throttle";
import { installPeerAddress, PEER_HEADER } from "./peer-address";
import { createUser } from "./users";
import { verifyLogin } from "./verify-login";

describe("callbackUrl", () => {
  it("keeps same-origin paths and maps every hostile value to /", () => {
    expect(safeCallbackPath("/instances/abc?tab=logs#x")).toBe("/instances/abc?tab=logs#x");
    expect(safeCallbackPath("/settings")).toBe("/settings");
    for (const hostile of ["//evil.test", "/\\evil.test", "\\\\evil.test", "/%5Cevil.test", "/%5cevil.test", "https://evil.test/", "http:evil.test", "javascript:alert(1)", "evil.test", "/\tevil.test", "//%2F%2Fevil.test", "", undefined, null]) {
      const out = safeCallbackPath(hostile);
      expect(out, String(hostile)).toBe("/");
      expect(new URL(out, "http://wharf.example.com").origin).toBe("http://wharf.example.com");
    }
  });
});

describe("client address behind a trusted proxy", () => {
  afterEach(() => {
    delete process.env.WHARF_TRUST_PROXY;
  });

  it("is the right-most X-Forwarded-For entry, and only with WHARF_TRUST_PROXY=1", () => {
    const headers = { "x-forwarded-for": "203.0.113.66, 198.51.100.7" };
    expect(clientAddress(headers)).toBeNull();
    process.env.WHARF_TRUST_PROXY = "1";
    expect(clientAddress(headers)).toBe("198.51.100.7");
    expect(clientAddress({ "x-forwarded-for": "198.51.100.9" })).toBe("198.51.100.9");
    expect(clientAddress({ "x-real-ip": "198.51.100.10" })).toBe("198.51.100.10");
    expect(clientAddress({ "x-forwarded-for": "x".repeat(500) })).toHaveLength(64);
  });
});

describe("login throttle", () => {
  it("a parallel burst of 20 wrong passwords verifies at most 5 (reserved before verifying); the right one then does not sign in", async () => {
    await createUser({ actor: SYSTEM_ACTOR, body: { email: "target@example.com", password: "the-right-password", role: "admin" } });
    const from = "198.51.100.20";
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => verifyLogin({ email: "target@example.com", password: `guess-${i}`, address: from })));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    const messages = results.map((r) => (r as PromiseRejectedResult).reason.message as string);
    // Exactly the limit were verified (each one an "invalid credentials" row); the rest never reached the password check.
    expect(messages.filter((m) => /Invalid e-mail or password/.test(m))).toHaveLength(THROTTLE.maxPerEmail);
    expect(messages.filter((m) => /Too many failed sign-in attempts/.test(m))).toHaveLength(20 - THROTTLE.maxPerEmail);
    expect(await db.auditEvent.count({ where: { action: "auth.login", actorLabel: "target@example.com", message: "invalid credentials" } })).toBe(THROTTLE.maxPerEmail);
    const row = await db.loginThrottle.findUniqueOrThrow({ where: { key: `email:target@example.com|addr:${from}` } });
    expect(row.failures).toBe(THROTTLE.maxPerEmail);
    expect(row.lockedUntil!.getTime()).toBeGreaterThan(Date.now());
    expect(row.lockedUntil!.getTime()).toBeLessThanOrEqual(Date.now() + THROTTLE.lockMs);
    await expect(verifyLogin({ email: "target@example.com", password: "the-right-password", address: from })).rejects.toThrow(/Too many failed sign-in attempts/);
    // The throttled attempts are one audit row for this source and minute, with their count.
    const throttled = await db.auditEvent.findMany({ where: { action: "auth.login.throttled", target: from } });
    expect(throttled).toHaveLength(1);
    expect(throttled[0].count).toBe(20 - THROTTLE.maxPerEmail + 1);
  });

  it("a locked e-mail still signs in from an address with no failures", async () => {
    await expect(verifyLogin({ email: "target@example.com", password: "the-right-password", address: "198.51.100.21" })).resolves.toMatchObject({ email: "target@example.com" });
  });

  it("an address is limited across e-mails (20 attempts), by default from the socket's address", async () => {
    const from = "198.51.100.30";
    for (let i = 0; i < THROTTLE.maxPerAddress; i++) {
      await expect(verifyLogin({ email: `spray-${i}@example.com`, password: "x", address: from })).rejects.toThrow(/Invalid/);
    }
    await expect(verifyLogin({ email: "target@example.com", password: "the-right-password", address: from })).rejects.toThrow(/Too many failed sign-in attempts/);
    // A success gives the address its attempt back: sign-ins from a busy office do not add up.
    const office = "198.51.100.31";
    for (let i = 0; i < THROTTLE.maxPerAddress + 5; i++) await expect(verifyLogin({ email: "target@example.com", password: "the-right-password", address: office })).resolves.toBeTruthy();
  });

  it("starts a new window after the old one, and prunes rows whose window and lock are over", async () => {
    const t0 = new Date("2026-01-01T00:00:00Z");
    const key = [{ key: "email:window@example.com|addr:unknown", max: 5 }];
    expect(await reserveAttempt(key, t0)).toBe(true);
    await settleAttempt(key, false, t0);
    expect(await reserveAttempt(key, new Date(t0.getTime() + 1000))).toBe(true);
    expect((await db.loginThrottle.findUniqueOrThrow({ where: { key: key[0].key } })).failures).toBe(2);
    const later = new Date(t0.getTime() + THROTTLE.windowMs + 5000);
    await settleAttempt([{ key: "email:other@example.com|addr:unknown", max: 5 }], false, later);
    // The first row's window is over and it holds no lock: pruned by the settle above.
    expect(await db.loginThrottle.findUnique({ where: { key: key[0].key } })).toBeNull();
    expect(await reserveAttempt(key, later)).toBe(true);
    const fresh = await db.loginThrottle.findUniqueOrThrow({ where: { key: key[0].key } });
    expect(fresh).toMatchObject({ failures: 1, lockedUntil: null });
    expect(fresh.windowStart.getTime()).toBe(later.getTime());
  });

  it("bounds what an unknown, huge e-mail writes", async () => {
    const huge = `${"a".repeat(5000)}@example.com`;
    await expect(verifyLogin({ email: huge, password: "x", address: null })).rejects.toThrow(/Invalid/);
    const rows = await db.loginThrottle.findMany({ where: { key: { startsWith: "email:aaaa" } } });
    expect(rows).toHaveLength(1);
    expect(rows[0].key.length).toBeLessThanOrEqual(6 + 254 + 6 + 64);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { action: "auth.login", actorLabel: { startsWith: "aaaa" } } });
    expect(audit.actorLabel.length).toBeLessThanOrEqual(254);
  });
});

describe("the socket's peer address", () => {
  afterEach(() => {
    delete process.env.WHARF_TRUST_PROXY;
  });

  it("is stamped on every request by the server process; a forged stamp or X-Forwarded-For is not believed", async () => {
    installPeerAddress();
    const seen: (string | null)[] = [];
    const server = http.createServer((req, res) => {
      seen.push(clientAddress(req.headers as Record<string, unknown>));
      res.end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      await fetch(url, { headers: { "x-forwarded-for": "203.0.113.9", [PEER_HEADER]: "guess 203.0.113.8" } });
      process.env.WHARF_TRUST_PROXY = "1";
      await fetch(url, { headers: { "x-forwarded-for": "203.0.113.9" } });
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(seen).toEqual(["127.0.0.1", "203.0.113.9"]);
    // Without the process's stamp (a header a client typed), no address.
    expect(clientAddress({ [PEER_HEADER]: "0123 203.0.113.7" })).toBeNull();
  });
});
