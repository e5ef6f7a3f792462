import { describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { getSettings } from "../settings/get-settings";
import { updateSettings } from "../configuration/update-settings";
import { pruneHistory } from "./prune-history";

const DAY = 86_400_000;
const now = new Date("2026-06-01T12:00:00Z");
const ago = (days: number) => new Date(now.getTime() - days * DAY);

describe("retention of history", () => {
  it("has sane defaults and is a partial setting", async () => {
    expect((await getSettings()).retention).toEqual({ days: 90, deploymentsPerInstance: 50, successfulDeploymentsPerInstance: 10, maxAuditEvents: 100_000 });
    await updateSettings({ actor: SYSTEM_ACTOR, body: { retention: { days: 30 } } });
    expect((await getSettings()).retention).toEqual({ days: 30, deploymentsPerInstance: 50, successfulDeploymentsPerInstance: 10, maxAuditEvents: 100_000 });
    await expect(updateSettings({ actor: SYSTEM_ACTOR, body: { retention: { deploymentsPerInstance: 0 } } })).rejects.toMatchObject({ field: "retention.deploymentsPerInstance" });
  });

  it("prunes by age and count, keeps what is in progress and the newest deployments of each instance", async () => {
    await db.auditEvent.deleteMany();
    const retention = { days: 90, deploymentsPerInstance: 5, successfulDeploymentsPerInstance: 2, maxAuditEvents: 1000 };
    await db.auditEvent.createMany({ data: [100, 91, 89, 1].map((d) => ({ actorType: "user", actorLabel: `a${d}`, action: "x", result: "ok", createdAt: ago(d) })) });
    await db.syncRun.createMany({
      data: [
        { trigger: "cron", status: "succeeded", startedAt: ago(120) },
        { trigger: "cron", status: "running", startedAt: ago(120) },
        { trigger: "cron", status: "succeeded", startedAt: ago(10) },
      ],
    });
    const a = await db.instance.create({ data: { name: "keep-a", image: "img:1", subdomain: "keep-a", port: 80 } });
    const b = await db.instance.create({ data: { name: "keep-b", image: "img:1", subdomain: "keep-b", port: 80 } });
    // a: 8 finished deployments, day 0 newest, plus an old one still running; b: 3.
    for (let i = 0; i < 8; i++) await db.deployment.create({ data: { instanceId: a.id, kind: "redeploy", image: `img:${i}`, status: "succeeded", startedAt: ago(i), steps: { create: [{ position: 0, name: "pull" }] } } });
    await db.deployment.create({ data: { instanceId: a.id, kind: "deploy", image: "img:old", status: "running", startedAt: ago(30) } });
    for (let i = 0; i < 3; i++) await db.deployment.create({ data: { instanceId: b.id, kind: "deploy", image: `img:${i}`, status: "failed", startedAt: ago(i) } });
    await db.loginThrottle.createMany({
      data: [
        { key: "email:old@example.com", failures: 3, windowStart: ago(1) },
        { key: "email:locked@example.com", failures: 5, windowStart: ago(1), lockedUntil: new Date(now.getTime() + 60_000) },
        { key: "email:fresh@example.com", failures: 1, windowStart: now },
      ],
    });

    const report = await pruneHistory({ now, retention });
    expect(report).toMatchObject({ auditEvents: 2, syncRuns: 1, deployments: 3, throttleRows: 1 });
    expect((await db.auditEvent.findMany({ orderBy: { createdAt: "asc" } })).map((e) => e.actorLabel)).toEqual(["a89", "a1"]);
    expect(await db.syncRun.count({ where: { startedAt: ago(120) } })).toBe(1);
    const left = await db.deployment.findMany({ where: { instanceId: a.id }, orderBy: { startedAt: "desc" } });
    expect(left.map((d) => d.image)).toEqual(["img:0", "img:1", "img:2", "img:3", "img:4", "img:old"]);
    expect(await db.deployment.count({ where: { instanceId: b.id } })).toBe(3);
    // Steps went with their deployments.
    expect(await db.deploymentStep.count()).toBe(5);
    expect((await db.loginThrottle.findMany()).map((r) => r.key).sort()).toEqual(["email:fresh@example.com", "email:locked@example.com"]);
    // Idempotent.
    expect(await pruneHistory({ now, retention })).toMatchObject({ auditEvents: 0, syncRuns: 0, deployments: 0, throttleRows: 0 });
  });

  it("keeps the newest successful deployments of each instance to roll back to, however many failed ones came after (default 10)", async () => {
    const c = await db.instance.create({ data: { name: "keep-c", image: "img:1", subdomain: "keep-c", port: 80 } });
    // 12 successful deployments, then 60 failed ones: the count cap (50) alone would keep no successful one.
    for (let i = 0; i < 12; i++) await db.deployment.create({ data: { instanceId: c.id, kind: "redeploy", image: `ok:${i}`, status: "succeeded", startedAt: ago(100 - i) } });
    for (let i = 0; i < 60; i++) await db.deployment.create({ data: { instanceId: c.id, kind: "redeploy", image: `bad:${i}`, status: "failed", startedAt: ago(50 - i / 100) } });
    await pruneHistory({ now, retention: (await getSettings()).retention });
    const kept = await db.deployment.findMany({ where: { instanceId: c.id, status: "succeeded" }, orderBy: { startedAt: "desc" } });
    expect(kept.map((d) => d.image)).toEqual(["ok:11", "ok:10", "ok:9", "ok:8", "ok:7", "ok:6", "ok:5", "ok:4", "ok:3", "ok:2"]);
    expect(await db.deployment.count({ where: { instanceId: c.id, status: "failed" } })).toBe(50);
  });

  it("caps the audit log at maxAuditEvents, newest kept", async () => {
    await db.auditEvent.deleteMany();
    await db.auditEvent.createMany({ data: Array.from({ length: 1200 }, (_, i) => ({ actorType: "user", actorLabel: `n${i}`, action: "auth.login", result: "denied", createdAt: new Date(now.getTime() - i * 1000) })) });
    const report = await pruneHistory({ now, retention: { days: 90, deploymentsPerInstance: 50, successfulDeploymentsPerInstance: 10, maxAuditEvents: 1000 } });
    expect(report.auditEvents).toBe(200);
    expect(await db.auditEvent.count()).toBe(1000);
    expect(await db.auditEvent.count({ where: { actorLabel: "n0" } })).toBe(1);
    expect(await db.auditEvent.count({ where: { actorLabel: "n1000" } })).toBe(0);
  });
});
