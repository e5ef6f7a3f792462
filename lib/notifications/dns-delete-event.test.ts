import { afterEach, expect, it } from "vitest";
import { startAdguardDouble } from "../../test/doubles/adguard-double";
import { FAST_RETRY, closeDoubles, track, want } from "../../test/doubles/dns-helpers";
import { db } from "../db";
import { AdguardProvider } from "../dns/adguard";
import { removeLedgerRow } from "../dns/remove-ledger-row";

afterEach(closeDoubles);

// The AdGuard case of issue 29: every delete answers 200 and the read-back
// still finds the rewrite. The ledger row stays `failed`, and the outbox gets
// dns.delete_unverified in the same transaction.
it("a delete the provider answered but read-back still finds is announced", async () => {
  const ag = track(await startAdguardDouble({ rewrites: [] }));
  const provider = new AdguardProvider({ type: "adguard", url: ag.url, username: ag.username, password: ag.password }, { retry: FAST_RETRY });
  await provider.ensureRecord(want("gone.example.test", "192.0.2.10"));
  const row = await db.dnsRecord.create({
    data: { fqdn: "gone.example.test", type: "A", content: "192.0.2.10", provider: "adguard", zone: provider.zone ?? "adguard", providerRecordId: "gone.example.test|192.0.2.10", consumerType: "instance", consumerId: "inst-9", status: "synced" },
  });
  ag.setFaults({ lyingDeleteRate: 1 });
  const res = await removeLedgerRow({ id: row.id, provider });
  expect(res).toMatchObject({ ok: false, reason: "provider" });
  expect(await db.dnsRecord.findUnique({ where: { id: row.id } })).toMatchObject({ status: "failed" });
  const ev = await db.notificationEvent.findFirstOrThrow({ where: { event: "dns.delete_unverified" } });
  expect(ev).toMatchObject({ consumerType: "instance", consumerId: "inst-9", consumerName: "gone.example.test", path: "/dns" });
  expect(ev.message).toMatch(/^gone\.example\.test: the delete at adguard is not confirmed .*still disagrees/);
});
