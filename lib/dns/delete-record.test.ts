import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeDoubles } from "../../test/doubles/dns-helpers";
import { BASE, cloudflare, insertInstance, insertProxy, ledger, managed, resetDnsState, settings, TARGET } from "../../test/helpers/dns-fixtures";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { db } from "../db";
import { deleteDnsRecord } from "./delete-record";
import { ensureConsumerDns } from "./hooks";
import { listDnsRecords } from "./list-records";

beforeEach(resetDnsState);
afterEach(closeDoubles);

const WEB = `web.${BASE}`;
const del = (fqdn: string) => deleteDnsRecord({ actor: SYSTEM_ACTOR, fqdn });

async function syncedProxy() {
  const { cf, provider } = await cloudflare();
  await managed(provider);
  const proxy = await insertProxy(WEB);
  expect(await ensureConsumerDns({ consumer: { type: "standalone", id: proxy.id }, fqdn: WEB })).toEqual({ status: "synced" });
  return { cf, proxy };
}

describe("deleteDnsRecord", () => {
  it("deletes an owned record at the provider and from the ledger, audited", async () => {
    const { cf } = await syncedProxy();
    expect(await del(WEB.toUpperCase())).toEqual({ fqdn: WEB, outcome: "deleted" });
    expect(cf.records()).toEqual([]);
    expect(await ledger()).toEqual([]);
    expect(await db.auditEvent.findFirst({ where: { action: "dns.delete" } })).toMatchObject({ target: WEB, result: "ok" });
  });

  it("answers 404 for a name that is not in the ledger and leaves a foreign record alone", async () => {
    const { cf } = await syncedProxy();
    cf.addRecord({ name: `hand.${BASE}`, type: "A", content: "198.51.100.1", ttl: 300 });
    await expect(del(`hand.${BASE}`)).rejects.toMatchObject({ code: "NOT_FOUND", status: 404, message: expect.stringContaining("only deletes records it created") });
    expect(cf.records().map((r) => r.name).sort()).toEqual([`hand.${BASE}`, WEB]);
  });

  it("answers 502 with the provider's error and keeps the row, failed", async () => {
    const { cf } = await syncedProxy();
    cf.setFaults({ errorRate: 1, statuses: [500] });
    await expect(del(WEB)).rejects.toMatchObject({ code: "PROVIDER_ERROR", status: 502, message: expect.stringContaining("Internal server error") });
    expect(await ledger()).toMatchObject([{ fqdn: WEB, status: "failed", lastError: "Internal server error" }]);
    expect(cf.records()).toHaveLength(1);
  });
});

describe("listDnsRecords", () => {
  it("in wildcard mode lists every expected FQDN as covered by the wildcard", async () => {
    await settings({ baseDomain: BASE, targetAddress: TARGET });
    const inst = await insertInstance("app");
    await insertInstance("idle", "stopped");
    const proxy = await insertProxy(WEB);
    expect(await listDnsRecords()).toMatchObject({
      mode: "wildcard",
      total: 2,
      nextCursor: null,
      records: [
        expect.objectContaining({ fqdn: `app.${BASE}`, type: "A", content: TARGET, consumerType: "instance", consumerId: inst.id, status: "wildcard", inLedger: false }),
        expect.objectContaining({ fqdn: WEB, consumerType: "standalone", consumerId: proxy.id, status: "wildcard", providerRecordId: null, verifiedAt: null, lastError: null }),
      ],
    });
  });

  it("in managed mode lists ledger rows with their provider id and expected FQDNs not yet created as missing", async () => {
    const { proxy } = await syncedProxy();
    const inst = await insertInstance("app");
    const { records, mode } = await listDnsRecords();
    expect(mode).toBe("managed");
    expect(records).toEqual([
      expect.objectContaining({ fqdn: `app.${BASE}`, consumerId: inst.id, status: "missing", inLedger: false }),
      expect.objectContaining({ fqdn: WEB, consumerId: proxy.id, consumerName: WEB, status: "synced", inLedger: true, provider: "cloudflare", zone: BASE }),
    ]);
    expect(records[1].providerRecordId).toMatch(/^[0-9a-f]{32}$/);
    expect(Date.parse(records[1].verifiedAt!)).not.toBeNaN();
  });
});
