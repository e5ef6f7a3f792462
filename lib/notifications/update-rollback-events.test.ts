import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { db } from "../db";
import { DeploymentRecorder } from "../deployer/recorder";
import { checkInstanceUpdate } from "../updates/check-updates";
import { getSettings } from "../settings/get-settings";

// update.available and deploy.rolled_back through the code that emits them:
// the update check against a registry double (anonymous, on loopback) and the
// deploy recorder finishing a rollback. Each asserts the outbox row.

let newest = "sha256:" + "b".repeat(64);
const server = http.createServer((req, res) => {
  if (req.url === "/v2/lab/web/manifests/v1" && req.method === "HEAD") return res.writeHead(200, { "docker-content-digest": newest }).end();
  res.writeHead(404).end();
});
let registry = "";
beforeAll(() => new Promise<void>((r) => server.listen(0, "127.0.0.1", () => { registry = `127.0.0.1:${(server.address() as AddressInfo).port}`; r(); })));
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(async () => {
  await db.notificationEvent.deleteMany();
});

const OLD = "sha256:" + "a".repeat(64);

it("update.available: a check that finds a newer digest puts one outbox row, once per digest, and none with auto-update on", async () => {
  const settings = await getSettings();
  const i = await db.instance.create({ data: { name: "upd-web", image: `${registry}/lab/web:v1`, subdomain: "upd-web", port: 80, status: "running", digest: OLD } });
  expect(await checkInstanceUpdate({ instance: i, settings })).toMatchObject({ outcome: "available", latestDigest: newest });
  const rows = await db.notificationEvent.findMany({ where: { event: "update.available" } });
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ consumerType: "instance", consumerId: i.id, consumerName: "upd-web", path: `/instances/${i.id}`, status: "pending", count: 1, foldKey: `update.available:${i.id}:${newest}` });
  expect(rows[0].message).toBe(`upd-web: a newer ${registry}/lab/web:v1 is available (${newest.slice(0, 19)})`);

  // The next check finds the same digest: no second row, no raised count, even after the first was dispatched.
  await db.notificationEvent.updateMany({ where: { event: "update.available" }, data: { status: "dispatched" } });
  await checkInstanceUpdate({ instance: i, settings });
  expect(await db.notificationEvent.count({ where: { event: "update.available" } })).toBe(1);

  // A newer digest still is announced again.
  newest = "sha256:" + "c".repeat(64);
  await checkInstanceUpdate({ instance: i, settings });
  expect(await db.notificationEvent.count({ where: { event: "update.available" } })).toBe(2);

  // The running digest is current: nothing.
  const current = await db.instance.create({ data: { name: "upd-current", image: `${registry}/lab/web:v1`, subdomain: "upd-current", port: 80, status: "running", digest: newest } });
  expect(await checkInstanceUpdate({ instance: current, settings })).toMatchObject({ outcome: "current" });
  expect(await db.notificationEvent.count({ where: { event: "update.available", consumerId: current.id } })).toBe(0);

  // With auto-update the update itself is announced (update.applied) when it lands, not update.available.
  // The rollback's digest is the previous one, so no redeploy is started here.
  const auto = await db.instance.create({ data: { name: "upd-auto", image: `${registry}/lab/web:v1`, subdomain: "upd-auto", port: 80, status: "running", digest: OLD, previousDigest: newest, autoUpdate: true } });
  expect(await checkInstanceUpdate({ instance: auto, settings })).toMatchObject({ outcome: "available" });
  expect(await db.notificationEvent.count({ where: { event: "update.available", consumerId: auto.id } })).toBe(0);
});

it("deploy.rolled_back: the recorder finishing a successful rollback puts its outbox row in the same write; a failed rollback is deploy.failed", async () => {
  const i = await db.instance.create({ data: { name: "rb-web", image: "app:v2", subdomain: "rb-web", port: 80, status: "running" } });
  const rec = await DeploymentRecorder.open({ instanceId: i.id, kind: "rollback", image: "app:v1", actor: "admin@example.com" });
  await rec.step("switch", async () => undefined);
  await rec.finish("succeeded");
  const rows = await db.notificationEvent.findMany({ where: { consumerId: i.id } });
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ event: "deploy.rolled_back", consumerType: "instance", consumerName: "rb-web", path: `/instances/${i.id}`, message: "rb-web: rolled back to app:v1", status: "pending", count: 1 });

  const failed = await DeploymentRecorder.open({ instanceId: i.id, kind: "rollback", image: "app:v0" });
  await expect(failed.step("health", async () => { throw new Error("unhealthy after 30 s"); })).rejects.toThrow();
  await failed.finish("failed", "unhealthy after 30 s");
  const after = await db.notificationEvent.findMany({ where: { consumerId: i.id }, orderBy: { createdAt: "asc" } });
  expect(after.map((e) => e.event)).toEqual(["deploy.rolled_back", "deploy.failed"]);
  expect(after[1].message).toBe("rb-web: rollback of app:v0 failed at step health: unhealthy after 30 s");
});
