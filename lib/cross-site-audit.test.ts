import { describe, expect, it } from "vitest";
import { db } from "./db";
import { refuseCrossSite } from "./http";
import type { Actor } from "./audit/record-event";

// Issue 21: only `Authorization: Bearer` exempts a request from the cross-site
// check, and refusals are aggregated (one audit row per source per minute).
const viewer: Actor = { kind: "user", id: "u1", label: "viewer@example.com", role: "viewer" };
const post = (headers: Record<string, string>) => new Request("http://wharf.test/api/auth/callback/credentials", { method: "POST", headers });

describe("cross-site check", () => {
  it("an Authorization header other than Bearer does not exempt a cookie request", async () => {
    for (const authorization of ["Basic Zm9vOmJhcg==", "junk", "Bearerx token"]) {
      const res = await refuseCrossSite(post({ authorization, origin: "http://evil.test" }), null, "auth");
      expect(res?.status, authorization).toBe(403);
    }
    expect(await refuseCrossSite(post({ authorization: "Bearer wharf_x", origin: "http://evil.test" }), null, "auth")).toBeNull();
    expect(await refuseCrossSite(post({ origin: "http://wharf.test" }), null, "auth")).toBeNull();
  });

  it("30 refused requests from one origin are one audit row with count 30; another origin gets its own row", async () => {
    await db.auditEvent.deleteMany({ where: { action: "csrf.refused" } });
    await Promise.all(Array.from({ length: 30 }, () => refuseCrossSite(post({ origin: "http://flood.test" }), viewer, "user.create")));
    await refuseCrossSite(post({ origin: "http://other.test" }), viewer, "user.create");
    const rows = await db.auditEvent.findMany({ where: { action: "csrf.refused" }, orderBy: { count: "desc" } });
    expect(rows.map((r) => [r.target, r.count])).toEqual([
      ["http://flood.test → viewer@example.com", 30],
      ["http://other.test → viewer@example.com", 1],
    ]);
    expect(rows[0]).toMatchObject({ result: "denied", actorId: "u1", message: expect.stringContaining("Origin http://flood.test is not Wharf's origin") });
  });
});
