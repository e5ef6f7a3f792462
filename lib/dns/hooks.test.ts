import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeDoubles, writesTo } from "../../test/doubles/dns-helpers";
import type { CloudflareDouble } from "../../test/doubles/cloudflare-double";
import { adguard, BASE, cloudflare, insertInstance, insertProxy, ledger, managed, resetDnsState, settings, TARGET } from "../../test/helpers/dns-fixtures";
import { db } from "../db";
import { ensureConsumerDns, removeConsumerDns } from "./hooks";
import { installationId } from "../secrets";

beforeEach(resetDnsState);
afterEach(closeDoubles);

const WEB = `web.${BASE}`;
const snapshot = (cf: CloudflareDouble) =>
  cf.records().map((r) => ({ id: r.id, name: r.name, type: r.type, content: r.content, comment: r.comment })).sort((a, b) => a.id.localeCompare(b.id));
const atName = (cf: CloudflareDouble, name: string, type = "A") => cf.records().filter((r) => r.name === name && r.type === type);

/** A managed Cloudflare zone with two records Wharf did not create: one elsewhere, one (TXT) at the consumer's name. */
async function zoneWithForeignRecords() {
  const { cf, provider } = await cloudflare();
  cf.addRecord({ name: `other.${BASE}`, type: "A", content: "198.51.100.1", ttl: 300, comment: "made by hand" });
  cf.addRecord({ name: WEB, type: "TXT", content: "v=spf1 -all", ttl: 300 });
  await managed(provider);
  const foreign = snapshot(cf);
  return { cf, foreign };
}

describe("DNS hooks against the Cloudflare double", () => {
  it("ensures one marked record, idempotently, follows a domain change and removes it, never touching foreign records", async () => {
    const { cf, foreign } = await zoneWithForeignRecords();
    const proxy = await insertProxy(WEB);
    const consumer = { type: "standalone" as const, id: proxy.id };

    expect(await ensureConsumerDns({ consumer, fqdn: WEB })).toEqual({ status: "synced" });
    const [rec] = atName(cf, WEB);
    expect(atName(cf, WEB)).toHaveLength(1);
    expect(rec).toMatchObject({ content: TARGET, comment: `wharf:${installationId()}:standalone:${proxy.id}` });
    const [row] = await ledger();
    expect(row).toMatchObject({ fqdn: WEB, type: "A", content: TARGET, status: "synced", providerRecordId: rec.id, zone: BASE, provider: "cloudflare", lastError: null });
    expect(row.verifiedAt).toBeInstanceOf(Date);

    const writes = writesTo(cf).length;
    expect(await ensureConsumerDns({ consumer, fqdn: WEB })).toEqual({ status: "synced" });
    expect(atName(cf, WEB)).toHaveLength(1);
    expect(writesTo(cf)).toHaveLength(writes);

    const moved = `shop.${BASE}`;
    await db.standaloneProxy.update({ where: { id: proxy.id }, data: { domain: moved } });
    expect(await ensureConsumerDns({ consumer, fqdn: moved })).toEqual({ status: "synced" });
    expect(atName(cf, WEB)).toHaveLength(0);
    expect(atName(cf, moved)).toMatchObject([{ content: TARGET, comment: `wharf:${installationId()}:standalone:${proxy.id}` }]);
    expect((await ledger()).map((r) => [r.fqdn, r.status])).toEqual([[moved, "synced"]]);

    expect(await removeConsumerDns({ consumer })).toEqual({ status: "removed" });
    expect(atName(cf, moved)).toHaveLength(0);
    expect(await ledger()).toEqual([]);
    expect(snapshot(cf)).toEqual(foreign);
  });

  it("refuses a foreign record at the same name: the row is failed with the provider's error and the record stays", async () => {
    const { cf, provider } = await cloudflare();
    const hand = cf.addRecord({ name: WEB, type: "A", content: "198.51.100.7", ttl: 300 });
    await managed(provider);
    const inst = await insertInstance("web");

    const res = await ensureConsumerDns({ consumer: { type: "instance", id: inst.id }, fqdn: WEB });
    expect(res).toMatchObject({ status: "failed", code: "FOREIGN_RESOURCE" });
    expect(res.error).toBe(`${WEB} already has a A record (198.51.100.7) that Wharf did not create`);
    expect(await ledger()).toMatchObject([{ fqdn: WEB, status: "failed", lastError: res.error, providerRecordId: null }]);
    expect(cf.records()).toEqual([expect.objectContaining({ id: hand.id, content: "198.51.100.7", comment: null })]);

    // Removing the consumer forgets the claim and still leaves the operator's record alone.
    expect(await removeConsumerDns({ consumer: { type: "instance", id: inst.id } })).toEqual({ status: "removed" });
    expect(await ledger()).toEqual([]);
    expect(cf.records()).toEqual([expect.objectContaining({ id: hand.id, content: "198.51.100.7", comment: null })]);
  });

  it("makes no DNS API call at all in wildcard mode", async () => {
    const { cf, provider } = await cloudflare();
    await settings({ baseDomain: BASE, targetAddress: TARGET, dns: { mode: "wildcard", provider } });
    const proxy = await insertProxy(WEB);
    expect(await ensureConsumerDns({ consumer: { type: "standalone", id: proxy.id }, fqdn: WEB })).toEqual({ status: "skipped" });
    expect(await removeConsumerDns({ consumer: { type: "standalone", id: proxy.id } })).toEqual({ status: "skipped" });
    expect(await ledger()).toEqual([]);
    expect(cf.requests).toHaveLength(0);
  });

  it("returns failed, never throws, and keeps the provider's error on the row when every call fails", async () => {
    const { cf, provider } = await cloudflare();
    await managed(provider);
    const proxy = await insertProxy(WEB);
    const consumer = { type: "standalone" as const, id: proxy.id };
    cf.setFaults({ errorRate: 1, statuses: [500] });

    const res = await ensureConsumerDns({ consumer, fqdn: WEB });
    expect(res).toMatchObject({ status: "failed", error: "Internal server error" });
    expect(await ledger()).toMatchObject([{ fqdn: WEB, status: "failed", lastError: "Internal server error" }]);

    expect(await removeConsumerDns({ consumer })).toMatchObject({ status: "failed", error: "Internal server error" });
    expect(await ledger()).toMatchObject([{ fqdn: WEB, status: "failed", lastError: "Internal server error" }]);
    expect(cf.records()).toEqual([]);
  });
});

describe("DNS hooks against the AdGuard Home double", () => {
  it("really removes the rewrite although deletes answer 200 without deleting", async () => {
    const { ag, provider } = await adguard([{ domain: `nas.${BASE}`, answer: "192.0.2.5" }]);
    await managed(provider);
    const proxy = await insertProxy(WEB);
    const consumer = { type: "standalone" as const, id: proxy.id };
    expect(await ensureConsumerDns({ consumer, fqdn: WEB })).toEqual({ status: "synced" });
    expect(ag.rewrites().filter((r) => r.domain === WEB)).toHaveLength(1);

    ag.setFaults({ lyingDeleteRate: 0.5, seed: 7 }); // this seed makes the first two deletes lie
    expect(await removeConsumerDns({ consumer })).toEqual({ status: "removed" });
    expect(ag.requests.some((r) => r.fault === "lie")).toBe(true);
    expect(ag.rewrites()).toEqual([{ domain: `nas.${BASE}`, answer: "192.0.2.5", enabled: true }]);
    expect(await ledger()).toEqual([]);
  });

  it("does not take over the operator's rewrite at the same name: the ledger alone decides ownership", async () => {
    const { ag, provider } = await adguard([{ domain: WEB, answer: "192.0.2.99" }]);
    await managed(provider);
    const proxy = await insertProxy(WEB);
    const consumer = { type: "standalone" as const, id: proxy.id };

    const res = await ensureConsumerDns({ consumer, fqdn: WEB });
    expect(res).toMatchObject({ status: "failed", code: "FOREIGN_RESOURCE" });
    expect(await ledger()).toMatchObject([{ status: "failed", lastError: res.error, providerRecordId: null }]);
    expect(await removeConsumerDns({ consumer })).toEqual({ status: "removed" });
    expect(ag.rewrites()).toEqual([{ domain: WEB, answer: "192.0.2.99", enabled: true }]);
    expect(writesTo(ag)).toHaveLength(0);
  });
});
