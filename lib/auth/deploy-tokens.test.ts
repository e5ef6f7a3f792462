import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import type { Actor } from "../audit/record-event";
import { createDeployToken, listDeployTokens } from "./deploy-tokens";
import { createApiToken, listApiTokens, revokeApiToken } from "./tokens";
import * as redeployRoute from "../../app/api/instances/[id]/redeploy/route";
import * as instanceRoute from "../../app/api/instances/[id]/route";
import * as instancesRoute from "../../app/api/instances/route";
import * as tokensRoute from "../../app/api/tokens/route";

// The route handlers themselves, called as Next.js calls them: the scope check sits in lib/http.ts's apiRoute.
const admin: Actor = { kind: "user", label: "dt-admin@example.com", role: "admin" };
let mine = "";
let other = "";
let token = "";

const call = (handler: (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>, o: { method: string; id?: string; bearer: string; body?: unknown }) =>
  handler(
    new Request(`http://wharf.test/api/x`, { method: o.method, headers: { authorization: `Bearer ${o.bearer}`, "content-type": "application/json" }, body: o.body ? JSON.stringify(o.body) : undefined }),
    { params: Promise.resolve((o.id ? { id: o.id } : {}) as Record<string, string>) },
  );

beforeAll(async () => {
  admin.id = (await db.user.create({ data: { email: "dt-admin@example.com", passwordHash: "x", role: "admin" } })).id;
  // "deploying": a redeploy that gets past authorisation is refused by the state table (409), so no job starts.
  mine = (await db.instance.create({ data: { name: "dt-mine", image: "wharf-test/web:v1", subdomain: "dt-mine", port: 8080, status: "deploying" } })).id;
  other = (await db.instance.create({ data: { name: "dt-other", image: "wharf-test/web:v1", subdomain: "dt-other", port: 8080, status: "deploying" } })).id;
  token = (await createDeployToken({ actor: admin, instanceId: mine, body: { name: "ci" } })).token;
});

describe("deploy tokens", () => {
  it("are shown once, hashed at rest, listed on their instance and not among the API tokens", async () => {
    expect(token).toMatch(/^wharf_/);
    const rows = await db.apiToken.findMany({ where: { scope: { not: null } } });
    expect(rows.map((r) => r.tokenHash)).not.toContain(token);
    expect((await listDeployTokens({ instanceId: mine })).map((t) => t.name)).toEqual(["ci"]);
    expect(await listDeployTokens({ instanceId: other })).toEqual([]);
    expect((await listApiTokens()).items.map((t) => t.name)).not.toContain("ci");
  });

  it("reach the redeploy of their own instance", async () => {
    const res = await call(redeployRoute.POST, { method: "POST", id: mine, bearer: token, body: {} });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("INVALID_TRANSITION");
  });

  it("get 403 on another instance's redeploy and on every other route, reads included", async () => {
    for (const [handler, o] of [
      [redeployRoute.POST, { method: "POST", id: other, body: {} }],
      [instanceRoute.GET, { method: "GET", id: mine }],
      [instanceRoute.DELETE, { method: "DELETE", id: mine }],
      [instancesRoute.GET, { method: "GET" }],
      [instancesRoute.POST, { method: "POST", body: { name: "x", image: "x:1", port: 80 } }],
      [tokensRoute.POST, { method: "POST", body: { name: "escalate", role: "admin" } }],
    ] as const) {
      const res = await call(handler as never, { ...o, bearer: token });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("may only redeploy its own instance");
    }
    expect(await db.apiToken.count({ where: { name: "escalate" } })).toBe(0);
    expect(await db.auditEvent.count({ where: { result: "denied", actorLabel: "token:ci" } })).toBeGreaterThanOrEqual(6);
  });

  it("an ordinary API token is not limited by the check", async () => {
    const t = await createApiToken({ actor: admin, body: { name: "general", role: "viewer" } });
    expect((await call(instanceRoute.GET, { method: "GET", id: mine, bearer: t.token })).status).toBe(200);
  });

  it("may not change the TLS options; bad options are a 400 naming the field, before any state change", async () => {
    type Err = { error: { code: string; message: string; field?: string } };
    const refused = await call(redeployRoute.POST, { method: "POST", id: mine, bearer: token, body: { tls: { hsts: true } } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as Err).error).toMatchObject({ code: "FORBIDDEN", field: "tls", message: expect.stringContaining("tls: a deploy token may change the image's tag or digest only") });
    const t = await createApiToken({ actor: admin, body: { name: "tls-admin", role: "admin" } });
    for (const [tls, field] of [[{ https: "yes" }, "tls.https"], [{ hsts: 1 }, "tls.hsts"], [{ redirect: null }, "tls.redirect"], [{ http3: true }, "tls.http3"]] as const) {
      const res = await call(redeployRoute.POST, { method: "POST", id: mine, bearer: t.token, body: { tls } });
      expect(res.status, JSON.stringify(tls)).toBe(400);
      expect(((await res.json()) as Err).error.field).toBe(field);
    }
    // Valid options from an admin pass validation and reach the state table ("deploying": 409), which refuses before writing anything.
    const valid = await call(redeployRoute.POST, { method: "POST", id: mine, bearer: t.token, body: { tls: { https: false, hsts: true } } });
    expect(valid.status).toBe(409);
    expect(await db.instance.findUniqueOrThrow({ where: { id: mine }, select: { tlsHttps: true, tlsRedirect: true, tlsHsts: true } })).toEqual({ tlsHttps: true, tlsRedirect: true, tlsHsts: false });
  });

  it("change the tag or digest of the same repository only: autoUpdate, another repository or registry are 403 naming the field, audited", async () => {
    type Err = { error: { code: string; message: string; field?: string } };
    const before = await db.auditEvent.count({ where: { result: "denied", actorLabel: "token:ci", action: "instance.redeploy" } });
    for (const [body, field, text] of [
      [{ autoUpdate: true }, "autoUpdate", "tag or digest only"],
      [{ image: "wharf-test/web:v2", autoUpdate: false }, "autoUpdate", "tag or digest only"],
      [{ replicas: 50 }, "replicas", "tag or digest only"],
      [{ image: "wharf-test/web:v2", placement: ["node.hostname==h2"] }, "placement", "tag or digest only"],
      [{ image: "wharf-test/other:v1" }, "image", "docker.io/wharf-test/other"],
      [{ image: "evil.example:5000/wharf-test/web:v1" }, "image", "evil.example:5000/wharf-test/web"],
      [{ image: "127.0.0.1:5050/wharf-test/web:v1" }, "image", "not deploy 127.0.0.1:5050"],
    ] as const) {
      const res = await call(redeployRoute.POST, { method: "POST", id: mine, bearer: token, body });
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(((await res.json()) as Err).error, JSON.stringify(body)).toMatchObject({ code: "FORBIDDEN", field, message: expect.stringContaining(text) });
    }
    expect(await db.instance.findUniqueOrThrow({ where: { id: mine }, select: { autoUpdate: true, image: true } })).toEqual({ autoUpdate: false, image: "wharf-test/web:v1" });
    expect(await db.auditEvent.count({ where: { result: "denied", actorLabel: "token:ci", action: "instance.redeploy" } })).toBe(before + 7);
    // Another tag or a digest of the same repository passes the token check (the state table then answers 409: "deploying").
    for (const image of ["wharf-test/web:v2", "docker.io/wharf-test/web@sha256:" + "a".repeat(64)]) {
      const res = await call(redeployRoute.POST, { method: "POST", id: mine, bearer: token, body: { image } });
      expect(res.status, image).toBe(409);
    }
  });

  it("die when revoked", async () => {
    const row = await db.apiToken.findFirstOrThrow({ where: { name: "ci" } });
    await revokeApiToken({ actor: admin, id: row.id });
    expect((await call(redeployRoute.POST, { method: "POST", id: mine, bearer: token, body: {} })).status).toBe(401);
  });
});
