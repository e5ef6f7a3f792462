import { afterEach, describe, expect, it } from "vitest";
import { db } from "../db";
import { refuseCrossSite } from "../http";
import { crossSiteRefusal, unsupportedBody } from "./request-guard";

const URL_ = "http://wharf.example.com/api/users";
const req = (headers: Record<string, string>, init: RequestInit = {}) => new Request(URL_, { method: "POST", headers: { host: "wharf.example.com", ...headers }, ...init });

describe("cross-site check", () => {
  afterEach(() => {
    delete process.env.NEXTAUTH_URL;
  });

  it("accepts Wharf's own origin and refuses siblings, other schemes and ports, and null", () => {
    expect(crossSiteRefusal(req({ origin: "http://wharf.example.com" }))).toBeNull();
    expect(crossSiteRefusal(req({ origin: "http://app.example.com" }))).toMatch(/Origin http:\/\/app\.example\.com is not Wharf's origin/);
    expect(crossSiteRefusal(req({ origin: "https://wharf.example.com" }))).toMatch(/refused/);
    expect(crossSiteRefusal(req({ origin: "http://wharf.example.com:8080" }))).toMatch(/refused/);
    expect(crossSiteRefusal(req({ origin: "http://wharf.example.com.evil.test" }))).toMatch(/refused/);
    expect(crossSiteRefusal(req({ origin: "null" }))).toMatch(/opaque/);
  });

  it("honours X-Forwarded-Proto and NEXTAUTH_URL", () => {
    expect(crossSiteRefusal(req({ origin: "https://wharf.example.com", "x-forwarded-proto": "https" }))).toBeNull();
    process.env.NEXTAUTH_URL = "https://ops.example.com/";
    expect(crossSiteRefusal(req({ origin: "https://ops.example.com" }))).toBeNull();
    expect(crossSiteRefusal(req({ origin: "https://app.ops.example.com" }))).toMatch(/refused/);
  });

  it("falls back to Sec-Fetch-Site and refuses a request carrying neither header", () => {
    expect(crossSiteRefusal(req({ "sec-fetch-site": "same-origin" }))).toBeNull();
    expect(crossSiteRefusal(req({ "sec-fetch-site": "none" }))).toBeNull();
    expect(crossSiteRefusal(req({ "sec-fetch-site": "same-site" }))).toMatch(/Sec-Fetch-Site is same-site/);
    expect(crossSiteRefusal(req({ "sec-fetch-site": "cross-site" }))).toMatch(/cross-site/);
    expect(crossSiteRefusal(req({}))).toMatch(/neither Origin nor Sec-Fetch-Site/);
  });

  it("audits a refusal of a signed-in user and lets Bearer and safe methods through", async () => {
    const actor = { kind: "user" as const, id: "u1", label: "admin@example.com", role: "admin" as const };
    const refused = await refuseCrossSite(req({ origin: "http://app.example.com" }), actor, "user.create");
    expect(refused?.status).toBe(403);
    expect(await refused?.json()).toEqual({ error: { code: "FORBIDDEN", message: expect.stringMatching(/Origin http:\/\/app\.example\.com/) } });
    // One aggregated row per source and minute (issue 21), naming what was refused.
    const row = await db.auditEvent.findFirstOrThrow({ where: { action: "csrf.refused", result: "denied" } });
    expect(row).toMatchObject({ actorLabel: "admin@example.com", target: "http://app.example.com → admin@example.com", message: expect.stringContaining("(user.create)"), count: 1 });
    expect(await refuseCrossSite(req({ origin: "http://app.example.com", authorization: "Bearer wharf_x" }), actor)).toBeNull();
    expect(await refuseCrossSite(new Request(URL_, { headers: { origin: "http://app.example.com" } }), actor)).toBeNull();
  });
});

describe("JSON bodies only", () => {
  it("refuses text/plain, forms and multipart, accepts JSON and no body", () => {
    expect(unsupportedBody(req({ "content-type": "text/plain;charset=UTF-8" }, { body: "{}" }))).toMatch(/not text\/plain/);
    expect(unsupportedBody(req({ "content-type": "application/x-www-form-urlencoded" }, { body: "a=1" }))).toMatch(/not application\/x-www-form-urlencoded/);
    expect(unsupportedBody(new Request(URL_, { method: "POST", body: new FormData() }))).toMatch(/not multipart\/form-data/);
    expect(unsupportedBody(req({ "content-type": "application/json; charset=utf-8" }, { body: "{}" }))).toBeNull();
    expect(unsupportedBody(req({}))).toBeNull();
    expect(unsupportedBody(req({ "content-length": "12" }))).toMatch(/must be sent as application\/json/);
    expect(unsupportedBody(req({ "transfer-encoding": "chunked" }))).toMatch(/must be sent as application\/json/);
    expect(unsupportedBody(new Request(URL_, { method: "DELETE" }))).toBeNull();
  });
});
