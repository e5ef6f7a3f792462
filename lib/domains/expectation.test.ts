import { describe, expect, it } from "vitest";
import { isCloudflareAddress } from "./cloudflare-ranges";
import { describeExpected, evaluate, expectedRecords, type DnsFindings } from "./expectation";

const target = { fqdn: "web.apps.example.com", targetAddress: "203.0.113.10", addresses: ["203.0.113.10"] };
const TOKEN = "wharf-0123";
const none: DnsFindings = { cnames: [], addresses: [], txt: [] };

describe("custom-domain validation", () => {
  it("accepts a CNAME chain that passes through the instance's FQDN", () => {
    const v = evaluate("shop.example.org", { ...none, cnames: ["edge.example.org", "web.apps.example.com"], addresses: ["198.51.100.1"] }, target, TOKEN);
    expect(v).toEqual({ ok: true, via: "cname", message: "shop.example.org has CNAME to web.apps.example.com" });
  });

  it("accepts A records only when every one is a target address", () => {
    expect(evaluate("shop.example.org", { ...none, addresses: ["203.0.113.10"] }, target, TOKEN)).toMatchObject({ ok: true, via: "address" });
    const mixed = evaluate("shop.example.org", { ...none, addresses: ["203.0.113.10", "198.51.100.7"] }, target, TOKEN);
    expect(mixed.ok).toBe(false);
    expect(mixed.message).toBe(
      "shop.example.org has A 203.0.113.10, 198.51.100.7; expected CNAME to web.apps.example.com or A 203.0.113.10, or TXT _wharf-challenge.shop.example.org = wharf-0123",
    );
  });

  it("accepts the TXT token alone, and says what TXT it found when it is wrong", () => {
    expect(evaluate("shop.example.org", { ...none, txt: ["wharf-0123"] }, target, TOKEN)).toMatchObject({ ok: true, via: "txt" });
    const wrong = evaluate("shop.example.org", { ...none, txt: ["other"] }, target, TOKEN);
    expect(wrong).toMatchObject({ ok: false });
    expect(wrong.message).toContain('_wharf-challenge.shop.example.org has TXT "other"');
  });

  it("says exactly what was found and what is expected", () => {
    expect(evaluate("shop.example.org", { ...none, addresses: ["198.51.100.7"] }, target, TOKEN).message).toBe(
      "shop.example.org has A 198.51.100.7; expected CNAME to web.apps.example.com or A 203.0.113.10, or TXT _wharf-challenge.shop.example.org = wharf-0123",
    );
    expect(evaluate("shop.example.org", none, target, TOKEN).message).toBe(
      "shop.example.org has no CNAME, A or AAAA record; expected CNAME to web.apps.example.com or A 203.0.113.10, or TXT _wharf-challenge.shop.example.org = wharf-0123",
    );
    expect(evaluate("shop.example.org", { ...none, cnames: ["elsewhere.example.net"], addresses: ["2001:db8::1"] }, target, TOKEN).message).toMatch(
      /^shop\.example\.org has CNAME elsewhere\.example\.net; AAAA 2001:db8::1; expected/,
    );
  });

  it("recognises Cloudflare-proxied names from the published ranges and points to the TXT proof", () => {
    expect(isCloudflareAddress("104.16.1.1")).toBe(true);
    expect(isCloudflareAddress("2606:4700::1")).toBe(true);
    expect(isCloudflareAddress("203.0.113.10")).toBe(false);
    expect(isCloudflareAddress("not-an-ip")).toBe(false);
    const v = evaluate("shop.example.org", { ...none, addresses: ["104.16.1.1", "172.64.1.1"] }, target, TOKEN);
    expect(v).toMatchObject({ ok: false, cloudflare: true });
    expect(v.message).toMatch(/Cloudflare proxy addresses .* prove ownership with the TXT record$/);
  });

  it("lists the records that would satisfy it, IPv6 targets as AAAA", () => {
    expect(expectedRecords("shop.example.org", { ...target, addresses: ["203.0.113.10", "2001:db8::10"] }, TOKEN)).toEqual([
      { type: "CNAME", name: "shop.example.org", content: "web.apps.example.com" },
      { type: "A", name: "shop.example.org", content: "203.0.113.10" },
      { type: "AAAA", name: "shop.example.org", content: "2001:db8::10" },
      { type: "TXT", name: "_wharf-challenge.shop.example.org", content: TOKEN },
    ]);
    expect(describeExpected("a.example.org", { ...target, addresses: [] }, "t")).toBe("expected CNAME to web.apps.example.com, or TXT _wharf-challenge.a.example.org = t");
  });
});
