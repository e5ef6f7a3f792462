import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "../db";
import { resetEnvCache } from "../env";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { selfSignedCert, startHttpSink, startSmtpSink, type HttpSink } from "../../test/helpers/sinks";
import { createChannel, deleteChannel, listChannels, updateChannel } from "./channels";
import { runOutbox, MAX_ATTEMPTS } from "./deliver-outbox";
import { emitEvent } from "../outbox/emit-event";
import { setPublicUrl } from "./public-url";
import { testChannel } from "./test-channel";

// Delivery end to end with real receivers on loopback: HTTP sinks for the
// webhook, Slack, Discord and ntfy, and an SMTP server (smtp-server) that
// demands STARTTLS and AUTH for the e-mail.

let sink: HttpSink;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
const tls = selfSignedCert();
const WEBHOOK_SECRET = "whsec-0123456789abcdef";
const NTFY_TOKEN = "tk_ntfy_secret_value";
const SMTP_PASS = "smtp-pass-secret";

beforeAll(async () => {
  process.env.WHARF_NOTIFY_FOLD_S = "0";
  process.env.WHARF_NOTIFY_BACKOFF_MS = "10";
  resetEnvCache();
  sink = await startHttpSink();
  smtp = await startSmtpSink({ user: "wharf", pass: SMTP_PASS, ...tls });
  await setPublicUrl({ actor: SYSTEM_ACTOR, body: { publicUrl: "https://wharf.example.com/" } });
});
afterAll(async () => {
  await sink.close();
  await smtp.close();
});
beforeEach(async () => {
  sink.seen.length = 0;
  smtp.mails.length = 0;
  await db.notificationChannel.deleteMany();
  await db.notificationEvent.deleteMany();
});

/** Runs outbox passes until nothing is pending (or the deadline). */
async function drain(ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    await runOutbox();
    const pending = (await db.notificationEvent.count({ where: { status: "pending" } })) + (await db.notificationDelivery.count({ where: { status: "pending", eventId: { not: null } } }));
    if (!pending || Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const deployFailed = { event: "deploy.failed" as const, consumer: { type: "instance" as const, id: "inst1", name: "web" }, path: "/instances/inst1", message: "web: deploy of app:v2 failed at step health: unhealthy after 30 s" };

describe("delivery to real receivers", () => {
  it("webhook: signed JSON body with event and delivery headers", async () => {
    const ch = await createChannel({ actor: SYSTEM_ACTOR, body: { name: "hook", type: "webhook", config: { url: `${sink.url}/hook`, secret: WEBHOOK_SECRET }, events: ["deploy.failed"] } });
    await emitEvent(null, deployFailed);
    await drain();
    expect(sink.seen).toHaveLength(1);
    const req = sink.seen[0];
    const body = JSON.parse(req.body);
    expect(body).toEqual({ event: "deploy.failed", at: expect.any(String), consumer: { type: "instance", id: "inst1", name: "web" }, message: deployFailed.message, url: "https://wharf.example.com/instances/inst1", count: 1 });
    const expected = `sha256=${createHmac("sha256", WEBHOOK_SECRET).update(req.body).digest("hex")}`;
    expect(req.headers["x-wharf-signature-256"]).toBe(expected);
    expect(req.headers["x-wharf-event"]).toBe("deploy.failed");
    const delivery = await db.notificationDelivery.findFirstOrThrow({ where: { channelId: ch.id } });
    expect(req.headers["x-wharf-delivery"]).toBe(delivery.id);
    expect(delivery).toMatchObject({ status: "sent", attempts: 1, lastError: null });
  });

  it("Slack, Discord and ntfy get their own payload formats", async () => {
    await createChannel({ actor: SYSTEM_ACTOR, body: { name: "slack", type: "slack", config: { url: `${sink.url}/slack/T000/B000/XXXX` } } });
    await createChannel({ actor: SYSTEM_ACTOR, body: { name: "discord", type: "discord", config: { url: `${sink.url}/discord/api/webhooks/1/abc` } } });
    await createChannel({ actor: SYSTEM_ACTOR, body: { name: "ntfy", type: "ntfy", config: { serverUrl: `${sink.url}/ntfy/`, topic: "wharf-alerts", token: NTFY_TOKEN, priority: 4 } } });
    await emitEvent(null, deployFailed);
    await drain();
    expect(sink.seen).toHaveLength(3);
    const slack = sink.seen.find((r) => r.path.startsWith("/slack"))!;
    const sb = JSON.parse(slack.body);
    expect(sb.text).toContain("*[Wharf] deploy.failed: web*");
    expect(sb.text).toContain("<https://wharf.example.com/instances/inst1|Open in Wharf>");
    expect(sb.blocks[0]).toMatchObject({ type: "section", text: { type: "mrkdwn" } });
    const discord = sink.seen.find((r) => r.path.startsWith("/discord"))!;
    const db_ = JSON.parse(discord.body);
    expect(db_.content).toBe("[Wharf] deploy.failed: web");
    expect(db_.embeds[0]).toMatchObject({ title: "[Wharf] deploy.failed: web", description: deployFailed.message, url: "https://wharf.example.com/instances/inst1" });
    const ntfy = sink.seen.find((r) => r.path.startsWith("/ntfy"))!;
    expect(ntfy.path).toBe("/ntfy/wharf-alerts");
    expect(ntfy.body).toBe(deployFailed.message);
    expect(ntfy.headers).toMatchObject({ title: "[Wharf] deploy.failed: web", priority: "4", click: "https://wharf.example.com/instances/inst1", authorization: `Bearer ${NTFY_TOKEN}` });
    expect(await db.notificationDelivery.count({ where: { status: "sent" } })).toBe(3);
  });

  it("e-mail: over STARTTLS with AUTH to a real SMTP server", async () => {
    await createChannel({
      actor: SYSTEM_ACTOR,
      body: { name: "mail", type: "email", config: { host: "127.0.0.1", port: smtp.port, security: "starttls", username: "wharf", password: SMTP_PASS, from: "wharf@example.com", to: ["ops@example.com", "oncall@example.com"], trustedRootPem: tls.cert } },
    });
    await emitEvent(null, deployFailed);
    await drain();
    expect(smtp.mails).toHaveLength(1);
    const m = smtp.mails[0];
    expect(m).toMatchObject({ from: "wharf@example.com", to: ["ops@example.com", "oncall@example.com"], secure: true, user: "wharf" });
    expect(m.raw).toContain("Subject: [Wharf] deploy.failed: web");
    expect(m.raw).toContain("https://wharf.example.com/instances/inst1");
    expect(m.raw).toContain("X-Wharf-Event: deploy.failed");
  });

  it("e-mail: over implicit TLS (security tls) to a server speaking TLS from the first byte, trusting the channel's own root", async () => {
    const implicit = await startSmtpSink({ user: "wharf", pass: SMTP_PASS, ...tls, secure: true });
    try {
      const config = { host: "127.0.0.1", port: implicit.port, security: "tls", username: "wharf", password: SMTP_PASS, from: "wharf@example.com", to: ["ops@example.com"] };
      // Without the private root the self-signed certificate is refused: the channel's trustedRootPem is what is trusted, not everything.
      const untrusted = await createChannel({ actor: SYSTEM_ACTOR, body: { name: "mail-tls-untrusted", type: "email", config } });
      expect(await testChannel({ actor: SYSTEM_ACTOR, id: untrusted.id })).toMatchObject({ ok: false, error: expect.stringMatching(/self[- ]signed certificate/i) });
      expect(implicit.mails).toHaveLength(0);
      await deleteChannel({ actor: SYSTEM_ACTOR, id: untrusted.id });

      await createChannel({ actor: SYSTEM_ACTOR, body: { name: "mail-tls", type: "email", config: { ...config, trustedRootPem: tls.cert } } });
      await emitEvent(null, deployFailed);
      await drain();
      expect(implicit.mails).toHaveLength(1);
      expect(implicit.mails[0]).toMatchObject({ from: "wharf@example.com", to: ["ops@example.com"], secure: true, user: "wharf" });
      expect(implicit.mails[0].raw).toContain("Subject: [Wharf] deploy.failed: web");
      const delivery = await db.notificationDelivery.findFirstOrThrow({ where: { channel: { name: "mail-tls" } } });
      expect(delivery).toMatchObject({ status: "sent", attempts: 1, lastError: null });
    } finally {
      await implicit.close();
    }
  });

  it("e-mail: a wrong password is the server's exact answer in Send test, and the channel lists it", async () => {
    const ch = await createChannel({
      actor: SYSTEM_ACTOR,
      body: { name: "mail-bad", type: "email", config: { host: "127.0.0.1", port: smtp.port, security: "starttls", username: "wharf", password: "wrong", from: "wharf@example.com", to: ["ops@example.com"], trustedRootPem: tls.cert } },
    });
    const res = await testChannel({ actor: SYSTEM_ACTOR, id: ch.id });
    expect(res).toMatchObject({ ok: false, error: expect.stringContaining("535") });
    const [listed] = await listChannels();
    expect(listed.lastDeliveries[0]).toMatchObject({ event: "test", status: "failed", error: expect.stringContaining("Authentication credentials invalid") });
    expect(smtp.mails).toHaveLength(0);
  });

  it("a sink failing three times gets the message once, after retries with backoff", async () => {
    const ch = await createChannel({ actor: SYSTEM_ACTOR, body: { name: "flaky", type: "webhook", config: { url: `${sink.url}/flaky`, secret: WEBHOOK_SECRET } } });
    sink.failNext("/flaky", 3, 503, "upstream unavailable");
    await emitEvent(null, deployFailed);
    const first = Date.now();
    await runOutbox();
    const afterFirst = await db.notificationDelivery.findFirstOrThrow({ where: { channelId: ch.id } });
    expect(afterFirst).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 503: upstream unavailable" });
    expect(afterFirst.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(first + 10 - 5);
    await drain();
    const d = await db.notificationDelivery.findFirstOrThrow({ where: { channelId: ch.id } });
    expect(d).toMatchObject({ status: "sent", attempts: 4, lastError: null });
    expect(sink.seen.filter((r) => r.path === "/flaky")).toHaveLength(4);
    // The same delivery id every time: a receiver can recognise a retry.
    expect(new Set(sink.seen.map((r) => r.headers["x-wharf-delivery"])).size).toBe(1);
  });

  it("a channel that never answers is marked failed with the error after the last attempt, and slows no other channel", async () => {
    const closed = await startHttpSink();
    await closed.close();
    const dead = await createChannel({ actor: SYSTEM_ACTOR, body: { name: "dead", type: "webhook", config: { url: `${closed.url}/hook`, secret: WEBHOOK_SECRET } } });
    await createChannel({ actor: SYSTEM_ACTOR, body: { name: "ok", type: "slack", config: { url: `${sink.url}/slack/ok` } } });
    await emitEvent(null, deployFailed);
    await runOutbox();
    expect(sink.seen).toHaveLength(1);
    await drain();
    const d = await db.notificationDelivery.findFirstOrThrow({ where: { channelId: dead.id } });
    expect(d).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
    expect(d.lastError).toMatch(/ECONNREFUSED/);
  });

  it("repeats within the window fold into one message with a count; channels get only their events", async () => {
    process.env.WHARF_NOTIFY_FOLD_S = "60";
    resetEnvCache();
    try {
      await createChannel({ actor: SYSTEM_ACTOR, body: { name: "hook", type: "webhook", config: { url: `${sink.url}/hook`, secret: WEBHOOK_SECRET }, events: ["instance.exited", "instance.restart_loop"] } });
      await createChannel({ actor: SYSTEM_ACTOR, body: { name: "sync-only", type: "webhook", config: { url: `${sink.url}/sync`, secret: WEBHOOK_SECRET }, events: ["sync.failed"] } });
      for (let i = 0; i < 5; i++) await emitEvent(null, { event: "instance.exited", consumer: { type: "instance", id: "i2", name: "api" }, message: `api exited (${i})` });
      expect(await db.notificationEvent.count()).toBe(1);
      await runOutbox();
      expect(sink.seen).toHaveLength(0); // the window is not over
      await runOutbox(new Date(Date.now() + 61_000));
      expect(sink.seen).toHaveLength(1);
      expect(sink.seen[0].path).toBe("/hook");
      expect(JSON.parse(sink.seen[0].body)).toMatchObject({ event: "instance.exited", count: 5, message: "api exited (4)" });
      // After the fold window a repeat is a new message.
      await emitEvent(null, { event: "instance.exited", consumer: { type: "instance", id: "i2", name: "api" }, message: "api exited again" });
      expect(await db.notificationEvent.count()).toBe(2);
    } finally {
      process.env.WHARF_NOTIFY_FOLD_S = "0";
      resetEnvCache();
    }
  });
});

describe("channels", () => {
  it("secrets are encrypted at rest, write-only, and bound to the address", async () => {
    const ch = await createChannel({ actor: SYSTEM_ACTOR, body: { name: "hook", type: "webhook", config: { url: `${sink.url}/hook`, secret: WEBHOOK_SECRET } } });
    expect(ch.config).toEqual({ url: `${sink.url}/hook`, secretSet: true });
    expect(JSON.stringify(ch)).not.toContain(WEBHOOK_SECRET);
    const row = await db.notificationChannel.findUniqueOrThrow({ where: { id: ch.id } });
    expect(row.config).not.toContain(WEBHOOK_SECRET);
    expect(row.config).toContain("enc:v1:");
    // Same address: the secret is kept.
    await updateChannel({ actor: SYSTEM_ACTOR, id: ch.id, body: { config: { url: `${sink.url}/hook` } } });
    // New address without the secret: refused, naming the field; nothing sent anywhere.
    await expect(updateChannel({ actor: SYSTEM_ACTOR, id: ch.id, body: { config: { url: "http://127.0.0.1:1/elsewhere" } } })).rejects.toMatchObject({ code: "VALIDATION", field: "config.secret" });
    const slack = await createChannel({ actor: SYSTEM_ACTOR, body: { name: "slack", type: "slack", config: { url: `${sink.url}/slack/T1/B1/secretpart` } } });
    expect(JSON.stringify(slack)).not.toContain("secretpart");
    expect(sink.seen).toHaveLength(0);
    await deleteChannel({ actor: SYSTEM_ACTOR, id: slack.id });
    expect(await db.notificationChannel.count()).toBe(1);
  });

  it("bad input is a validation error naming the field", async () => {
    await expect(createChannel({ actor: SYSTEM_ACTOR, body: { name: "x", type: "webhook", config: { url: "ftp://a" , secret: WEBHOOK_SECRET } } })).rejects.toMatchObject({ code: "VALIDATION", field: "config.url" });
    await expect(createChannel({ actor: SYSTEM_ACTOR, body: { name: "x", type: "webhook", config: { url: `${sink.url}/h` } } })).rejects.toMatchObject({ field: "config.secret" });
    await expect(createChannel({ actor: SYSTEM_ACTOR, body: { name: "x", type: "ntfy", config: { serverUrl: sink.url, topic: "bad topic!" } } })).rejects.toMatchObject({ field: "config.topic" });
    await expect(createChannel({ actor: SYSTEM_ACTOR, body: { name: "x", type: "slack", config: { url: `${sink.url}/s` }, events: ["deploy.exploded"] } })).rejects.toMatchObject({ field: "events.0" });
    await expect(createChannel({ actor: SYSTEM_ACTOR, body: { name: "x", type: "pager", config: {} } })).rejects.toMatchObject({ code: "VALIDATION", field: "type" });
    expect(await db.notificationChannel.count()).toBe(0);
  });

  it("Send test reports the receiver's exact answer", async () => {
    const ch = await createChannel({ actor: SYSTEM_ACTOR, body: { name: "hook", type: "webhook", config: { url: `${sink.url}/auth`, secret: WEBHOOK_SECRET } } });
    sink.failNext("/auth", 1, 401, '{"message":"bad signature"}');
    expect(await testChannel({ actor: SYSTEM_ACTOR, id: ch.id })).toEqual({ ok: false, error: 'HTTP 401: {"message":"bad signature"}' });
    expect(await testChannel({ actor: SYSTEM_ACTOR, id: ch.id })).toEqual({ ok: true });
    expect(JSON.parse(sink.seen[1].body)).toMatchObject({ event: "test", url: "https://wharf.example.com/settings" });
  });
});

describe("retention", () => {
  it("prunes old dispatched events and test sends, never a pending one", async () => {
    const { pruneNotifications } = await import("../outbox/prune-outbox");
    const ch = await createChannel({ actor: SYSTEM_ACTOR, body: { name: "hook", type: "webhook", config: { url: `${sink.url}/hook`, secret: WEBHOOK_SECRET } } });
    const old = new Date(Date.now() - 100 * 86_400_000);
    const done = await db.notificationEvent.create({ data: { event: "sync.failed", message: "old", foldKey: "a", status: "dispatched", dueAt: old, createdAt: old, lastAt: old } });
    await db.notificationDelivery.create({ data: { eventId: done.id, channelId: ch.id, status: "sent", createdAt: old } });
    const retrying = await db.notificationEvent.create({ data: { event: "sync.failed", message: "retrying", foldKey: "b", status: "dispatched", dueAt: old, createdAt: old, lastAt: old } });
    await db.notificationDelivery.create({ data: { eventId: retrying.id, channelId: ch.id, status: "pending", createdAt: old } });
    await db.notificationEvent.create({ data: { event: "sync.failed", message: "waiting", foldKey: "c", status: "pending", dueAt: old, createdAt: old, lastAt: old } });
    await db.notificationDelivery.create({ data: { channelId: ch.id, status: "failed", createdAt: old } });
    expect(await pruneNotifications(new Date(Date.now() - 30 * 86_400_000))).toBe(2);
    expect((await db.notificationEvent.findMany({ orderBy: { foldKey: "asc" } })).map((e) => e.message)).toEqual(["retrying", "waiting"]);
  });
});
