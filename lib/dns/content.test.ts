import { describe, expect, it } from "vitest";
import { want } from "../../test/doubles/dns-helpers";
import { RequestBudget } from "./cloudflare-budget";
import { inZone, normalizeContent, sameContent, typeForContent, validateDesired } from "./content";
import { parseRetryAfter, withRetry } from "./retry";

describe("record content", () => {
  it("derives the type from the target", () => {
    expect(["192.0.2.1", "2001:db8::1", "edge.example.com"].map(typeForContent)).toEqual(["A", "AAAA", "CNAME"]);
  });

  it("compares provider spellings of the same content as equal", () => {
    expect(sameContent("AAAA", "2001:DB8:0:0::1", "2001:db8::1")).toBe(true);
    expect(sameContent("CNAME", "Edge.Example.com.", "edge.example.com")).toBe(true);
    expect(sameContent("A", "192.0.2.1", "192.0.2.10")).toBe(false);
    expect(normalizeContent("AAAA", "::1")).toBe("0000:0000:0000:0000:0000:0000:0000:0001");
  });

  it("knows what lies inside a zone", () => {
    expect(inZone("app.example.test", "example.test")).toBe(true);
    expect(inZone("example.test", "example.test")).toBe(true);
    expect(inZone("badexample.test", "example.test")).toBe(false);
  });

  it("refuses records no provider could store as asked", () => {
    expect(() => validateDesired(want("app.example.test", "edge.example.com", { type: "A" }))).toThrow(/not an IPv4/);
    expect(() => validateDesired(want("app.example.test", "192.0.2.1", { type: "AAAA" }))).toThrow(/not an IPv6/);
    expect(() => validateDesired(want("app.example.test", "edge..example.com"))).toThrow(/not a hostname/);
    expect(() => validateDesired(want("app.example.test", "192.0.2.1", { ttl: 0 }))).toThrow(/TTL/);
    expect(validateDesired(want("App.Example.TEST.", "Edge.Example.com."))).toMatchObject({ fqdn: "app.example.test", content: "edge.example.com" });
  });
});

describe("retry helpers", () => {
  it("reads retry-after as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(50_000);
  });

  it("stops at the attempt limit and refuses to sleep past the retry-after cap", async () => {
    let tries = 0;
    const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1_000 };
    await expect(withRetry(async () => ++tries && Promise.reject(new Error("boom")), () => ({ retry: true }), policy)).rejects.toThrow("boom");
    expect(tries).toBe(3);
    await expect(withRetry(() => Promise.reject(new Error("slow down")), () => ({ retry: true, afterMs: 300_000 }), policy)).rejects.toMatchObject({
      code: "RATE_LIMITED",
    });
  });
});

describe("RequestBudget", () => {
  it("refuses at once when the wait would exceed its limit, and honours a block", async () => {
    const budget = new RequestBudget({ limit: 2, windowMs: 60_000, maxWaitMs: 1_000 });
    await budget.acquire();
    await budget.acquire();
    expect(budget.used).toBe(2);
    await expect(budget.acquire()).rejects.toMatchObject({ code: "RATE_LIMITED" });
    const other = new RequestBudget({ limit: 100, windowMs: 60_000, maxWaitMs: 1_000 });
    other.block(Date.now() + 30_000);
    await expect(other.acquire()).rejects.toMatchObject({ code: "RATE_LIMITED" });
    expect(other.used).toBe(0);
  });
});
