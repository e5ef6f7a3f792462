import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import type { Actor } from "../audit/record-event";
import { createApiToken } from "../auth/tokens";
import { startHttpSink, type HttpSink } from "../../test/helpers/sinks";
import * as list from "../../app/api/notifications/channels/route";
import * as one from "../../app/api/notifications/channels/[id]/route";
import * as test_ from "../../app/api/notifications/channels/[id]/test/route";

// The channel API (SPEC §17) through its route handlers: admin only, audited,
// 4xx naming the field, secrets never in an answer.
let sink: HttpSink;
let admin = "";
let viewer = "";
beforeAll(async () => {
  sink = await startHttpSink();
  // Tokens belong to a live user since issue 21.
  const owner: Actor = { kind: "user", label: "notify-admin@example.com", role: "admin" };
  owner.id = (await db.user.create({ data: { email: "notify-admin@example.com", passwordHash: "x", role: "admin" } })).id;
  admin = (await createApiToken({ actor: owner, body: { name: "a", role: "admin" } })).token;
  viewer = (await createApiToken({ actor: owner, body: { name: "v", role: "viewer" } })).token;
});
afterAll(() => sink.close());

const req = (method: string, token: string | null, body?: unknown) =>
  new Request("http://wharf.test/api/notifications/channels", {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
const ctx = (id = "") => ({ params: Promise.resolve({ id }) });

describe("/api/notifications/channels", () => {
  it("admin creates, lists, patches, tests and deletes a channel; secrets never come back", async () => {
    const body = { name: "ops", type: "webhook", config: { url: `${sink.url}/h`, secret: "api-secret-value" }, events: ["deploy.failed"] };
    const created = await list.POST(req("POST", admin, body), ctx());
    expect(created.status).toBe(201);
    const ch = await created.json();
    expect(ch).toMatchObject({ name: "ops", type: "webhook", config: { url: `${sink.url}/h`, secretSet: true }, events: ["deploy.failed"], enabled: true });
    const listed = await list.GET(req("GET", admin), ctx());
    const text = await listed.text();
    expect(JSON.parse(text).items).toHaveLength(1);
    expect(text).not.toContain("api-secret-value");
    const patched = await one.PATCH(req("PATCH", admin, { enabled: false, events: "all" }), ctx(ch.id));
    expect(await patched.json()).toMatchObject({ enabled: false, events: "all" });
    const tested = await test_.POST(req("POST", admin), ctx(ch.id));
    expect(await tested.json()).toEqual({ ok: true });
    expect(sink.seen).toHaveLength(1);
    expect((await one.DELETE(req("DELETE", admin), ctx(ch.id))).status).toBe(204);
    const audit = (await db.auditEvent.findMany({ where: { action: { startsWith: "notifications.channel" } } })).map((a) => a.action).sort();
    expect(audit).toEqual(["notifications.channel.create", "notifications.channel.delete", "notifications.channel.test", "notifications.channel.update"]);
    expect(JSON.stringify(await db.auditEvent.findMany())).not.toContain("api-secret-value");
  });

  it("refuses a viewer (403), an unknown token (401), bad input (400 naming the field), an unknown id (404)", async () => {
    // (Without any Authorization header the session is asked, which needs a Next request: e2e covers that.)
    expect((await list.GET(req("GET", "wharf_unknown"), ctx())).status).toBe(401);
    expect((await list.GET(req("GET", viewer), ctx())).status).toBe(403);
    expect((await list.POST(req("POST", viewer, { name: "x", type: "slack", config: { url: `${sink.url}/s` } }), ctx())).status).toBe(403);
    const bad = await list.POST(req("POST", admin, { name: "x", type: "email", config: { host: "mail.example.com", port: 70000, security: "starttls", from: "a@example.com", to: ["b@example.com"] } }), ctx());
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: "VALIDATION", field: "config.port" });
    expect((await one.PATCH(req("PATCH", admin, { enabled: "yes" }), ctx("nope"))).status).toBe(400);
    expect((await one.PATCH(req("PATCH", admin, { enabled: true }), ctx("nope"))).status).toBe(404);
    expect((await test_.POST(req("POST", admin), ctx("nope"))).status).toBe(404);
    expect(await db.notificationChannel.count()).toBe(0);
  });
});
