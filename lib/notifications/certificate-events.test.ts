import { expect, it } from "vitest";
import { db } from "../db";
import { writeCertState } from "../tls/consumer-tls";
import { emitEvent } from "../outbox/emit-event";
import { expiringEvent } from "../outbox/certificate-event";

it("certificate.failed is announced when a certificate becomes failed, not at every failed retry; expiring once per expiry date", async () => {
  const p = await db.standaloneProxy.create({ data: { domain: "shop.example.com", upstream: "http://127.0.0.1:9000", certStatus: "pending" } });
  const c = { type: "standalone" as const, id: p.id };
  await writeCertState(c, { certStatus: "failed", certError: "challenge failed: 192.0.2.1 refused" });
  await writeCertState(c, { certStatus: "failed", certError: "again" });
  const failed = await db.notificationEvent.findMany({ where: { event: "certificate.failed" } });
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ consumerName: "shop.example.com", path: `/proxies/${p.id}`, count: 1 });
  expect(failed[0].message).toContain("challenge failed: 192.0.2.1 refused");
  expect((await db.standaloneProxy.findUniqueOrThrow({ where: { id: p.id } })).certError).toBe("again");

  const notAfter = new Date(Date.now() + 5 * 86_400_000);
  for (let i = 0; i < 3; i++) await emitEvent(null, expiringEvent(c, "shop.example.com", notAfter, "Pebble"));
  await db.notificationEvent.updateMany({ where: { event: "certificate.expiring" }, data: { status: "dispatched" } });
  await emitEvent(null, expiringEvent(c, "shop.example.com", notAfter, "Pebble"));
  const expiring = await db.notificationEvent.findMany({ where: { event: "certificate.expiring" } });
  expect(expiring).toHaveLength(1);
  expect(expiring[0].message).toMatch(/expires on .* \(in [45] days\)/);
  // A renewed certificate has a new expiry date: announced again when it nears it.
  await emitEvent(null, expiringEvent(c, "shop.example.com", new Date(notAfter.getTime() + 60 * 86_400_000), "Pebble"));
  expect(await db.notificationEvent.count({ where: { event: "certificate.expiring" } })).toBe(2);
});
