import { afterEach, describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { safeCallbackPath } from "./callback-url";
import { clientAddress } from "./options";
import { THROTTLE, pruneThrottle, recordFailure } from "./throttle";
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
  it("counts 20 parallel wrong passwords as 20 and locks the e-mail", async () => {
    await createUser({ actor: SYSTEM_ACTOR, body: { email: "target@example.com", password: "the-right-password", role: "admin" } });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => verifyLogin({ email: "target@example.com", password: `guess-${i}`, address: null })));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    const row = await db.loginThrottle.findUniqueOrThrow({ where: { key: "email:target@example.com" } });
    // Every attempt that got as far as the password is counted (none lost to a concurrent write); one that
    // reads the lock after it was set is refused before that (with PostgreSQL's pool of 10 connections,
    // some of the 20 wait for a connection and do).
    const reasons = results.map((r) => String((r as PromiseRejectedResult).reason?.message));
    const refusedAtLock = reasons.filter((m) => /Too many failed sign-in attempts/.test(m)).length;
    expect(reasons.filter((m) => /Invalid e-mail or password/.test(m)).length).toBe(20 - refusedAtLock);
    expect(row.failures).toBe(20 - refusedAtLock);
    expect(row.failures).toBeGreaterThanOrEqual(THROTTLE.maxPerEmail);
    expect(row.lockedUntil!.getTime()).toBeGreaterThan(Date.now());
    // The lock is time-bounded: it ends lockMs after the limit was reached.
    expect(row.lockedUntil!.getTime()).toBeLessThanOrEqual(Date.now() + THROTTLE.lockMs);
    await expect(verifyLogin({ email: "target@example.com", password: "the-right-password", address: null })).rejects.toThrow(/Too many failed sign-in attempts/);
  });

  it("counts failures recorded at the same instant (no read-then-write)", async () => {
    const key = [{ key: "email:burst@example.com", max: 5 }];
    await Promise.all(Array.from({ length: 20 }, () => recordFailure(key)));
    const row = await db.loginThrottle.findUniqueOrThrow({ where: { key: key[0].key } });
    expect(row.failures).toBe(20);
    expect(row.lockedUntil).not.toBeNull();
  });

  it("starts a new window after the old one, and prunes rows whose window and lock are over", async () => {
    const t0 = new Date("2026-01-01T00:00:00Z");
    const key = [{ key: "email:window@example.com", max: 5 }];
    await recordFailure(key, t0);
    await recordFailure(key, new Date(t0.getTime() + 1000));
    expect((await db.loginThrottle.findUniqueOrThrow({ where: { key: key[0].key } })).failures).toBe(2);
    const later = new Date(t0.getTime() + THROTTLE.windowMs + 5000);
    await recordFailure([{ key: "email:other@example.com", max: 5 }], later);
    // The first row's window is over and it holds no lock: pruned by the failure above.
    expect(await db.loginThrottle.findUnique({ where: { key: key[0].key } })).toBeNull();
    await recordFailure(key, later);
    const fresh = await db.loginThrottle.findUniqueOrThrow({ where: { key: key[0].key } });
    expect(fresh).toMatchObject({ failures: 1, lockedUntil: null });
    expect(fresh.windowStart.getTime()).toBe(later.getTime());
    expect(await pruneThrottle(new Date(later.getTime() + THROTTLE.windowMs + 1))).toBeGreaterThanOrEqual(2);
  });

  it("bounds what an unknown, huge e-mail writes", async () => {
    const huge = `${"a".repeat(5000)}@example.com`;
    await expect(verifyLogin({ email: huge, password: "x", address: null })).rejects.toThrow(/Invalid/);
    const rows = await db.loginThrottle.findMany({ where: { key: { startsWith: "email:aaaa" } } });
    expect(rows).toHaveLength(1);
    expect(rows[0].key.length).toBeLessThanOrEqual(260);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { action: "auth.login", actorLabel: { startsWith: "aaaa" } } });
    expect(audit.actorLabel.length).toBeLessThanOrEqual(254);
  });
});
