import { beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR, type Actor } from "../audit/record-event";
import { createDeployToken } from "../auth/deploy-tokens";
import { createApiToken } from "../auth/tokens";
import { db } from "../db";
import { updateSettings } from "../configuration/update-settings";
import * as domainsRoute from "../../app/api/instances/[id]/domains/route";
import * as domainRoute from "../../app/api/instances/[id]/domains/[domain]/route";
import * as checkRoute from "../../app/api/instances/[id]/domains/[domain]/check/route";

// The domain route handlers as Next.js calls them: who may call them, and
// input refused with a 4xx naming the field before anything is written or
// any job starts (a valid add is covered by domains.it.test.ts, which has a resolver).
type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
type Err = { error: { code: string; message: string; field?: string } };
const call = (handler: Handler, o: { method: string; params: Record<string, string>; bearer: string; body?: unknown }) =>
  handler(
    new Request("http://wharf.test/api/x", { method: o.method, headers: { authorization: `Bearer ${o.bearer}`, "content-type": "application/json" }, body: o.body === undefined ? undefined : JSON.stringify(o.body) }),
    { params: Promise.resolve(o.params) },
  );

let id = "";
let deployToken = "";
let viewer = "";
let admin = "";

beforeAll(async () => {
  await updateSettings({ actor: SYSTEM_ACTOR, body: { baseDomain: "apps.example.test", targetAddress: "203.0.113.10" } });
  id = (await db.instance.create({ data: { name: "dom-web", image: "wharf-test/web:v1", subdomain: "dom-web", port: 8080, status: "running" } })).id;
  // Tokens belong to a live user (issue 21): an admin of this test owns them.
  const owner: Actor = { kind: "user", label: "dom-admin@example.com", role: "admin" };
  owner.id = (await db.user.create({ data: { email: "dom-admin@example.com", passwordHash: "x", role: "admin" } })).id;
  deployToken = (await createDeployToken({ actor: owner, instanceId: id, body: { name: "ci-dom" } })).token;
  viewer = (await createApiToken({ actor: owner, body: { name: "dom-viewer", role: "viewer" } })).token;
  admin = (await createApiToken({ actor: owner, body: { name: "dom-admin", role: "admin" } })).token;
});

describe("custom-domain API", () => {
  it("refuses a deploy token on every domain route, its own instance included, and audits it", async () => {
    const params = { id, domain: "shop.example.org" };
    for (const [handler, method, body] of [[domainsRoute.GET, "GET"], [domainsRoute.POST, "POST", { domain: "shop.example.org" }], [domainRoute.DELETE, "DELETE"], [checkRoute.POST, "POST"]] as const) {
      const res = await call(handler as Handler, { method, params, bearer: deployToken, body });
      expect(res.status).toBe(403);
    }
    expect(await db.auditEvent.count({ where: { result: "denied", actorLabel: "token:ci-dom" } })).toBeGreaterThanOrEqual(4);
    expect(await db.customDomain.count()).toBe(0);
  });

  it("lets a viewer list but not add", async () => {
    const list = await call(domainsRoute.GET as Handler, { method: "GET", params: { id }, bearer: viewer });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ items: [] });
    expect((await call(domainsRoute.POST as Handler, { method: "POST", params: { id }, bearer: viewer, body: { domain: "shop.example.org" } })).status).toBe(403);
  });

  it("answers 400 naming domain for bad, base and under-base names, before writing anything", async () => {
    for (const [body, message] of [
      [{}, "domain: is required"],
      [{ domain: "not a domain" }, "domain: must be a domain name"],
      [{ domain: "apps.example.test" }, "domain: apps.example.test is the base domain"],
      [{ domain: "x.apps.example.test." }, "domain: x.apps.example.test is under the base domain"],
    ] as const) {
      const res = await call(domainsRoute.POST as Handler, { method: "POST", params: { id }, bearer: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = ((await res.json()) as Err).error;
      expect(err.message).toContain(message);
      expect(err.field).toMatch(/^domain/);
    }
    const extra = await call(domainsRoute.POST as Handler, { method: "POST", params: { id }, bearer: admin, body: { domain: "shop.example.org", extra: 1 } });
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as Err).error).toMatchObject({ field: "extra", message: "extra: is not a known field" });
    expect(await db.customDomain.count()).toBe(0);
  });

  it("answers 404 for an unknown instance or domain", async () => {
    expect((await call(domainsRoute.POST as Handler, { method: "POST", params: { id: "nope" }, bearer: admin, body: { domain: "shop.example.org" } })).status).toBe(404);
    const del = await call(domainRoute.DELETE as Handler, { method: "DELETE", params: { id, domain: "unknown.example.org" }, bearer: admin });
    expect(del.status).toBe(404);
    expect(((await del.json()) as Err).error.field).toBe("domain");
    expect((await call(checkRoute.POST as Handler, { method: "POST", params: { id, domain: "unknown.example.org" }, bearer: admin })).status).toBe(404);
  });
});
