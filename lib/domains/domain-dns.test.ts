import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startCloudflareDouble, type CloudflareDouble } from "../../test/doubles/cloudflare-double";
import { closeDoubles, track } from "../../test/doubles/dns-helpers";
import { BASE, insertInstance, managed, resetDnsState, settings } from "../../test/helpers/dns-fixtures";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { db } from "../db";
import { runSync } from "../reconcile/run-sync";
import { installationId } from "../secrets";
import { getSettings } from "../settings/get-settings";
import { ensureDomainDns, removeDomainDns, removeOrphanDomainDns } from "./domain-dns";
import { managedZoneFor, matchZone, type ZoneCache } from "./managed-zone";

// The CNAME Wharf writes for a custom domain in a zone its DNS provider
// manages (issue 25), against the Cloudflare double with two zones: Wharf's
// own (example.test) and the customer's (customer.test).

beforeEach(resetDnsState);
afterEach(closeDoubles);

const CUSTOMER = "customer.test";
const WEB = `web.${BASE}`;
const zone = (name: string, id = name) => ({ id, name });

describe("matchZone", () => {
  it("picks the longest zone that holds the domain, on whole labels", () => {
    const zones = [zone("example.org"), zone("shop.example.org"), zone("org"), zone("badexample.org")];
    expect(matchZone("www.shop.example.org", zones)?.name).toBe("shop.example.org");
    expect(matchZone("blog.example.org", zones)?.name).toBe("example.org");
    expect(matchZone("x.badexample.org", zones)?.name).toBe("badexample.org");
    expect(matchZone("Shop.Example.Org.", zones)?.name).toBe("shop.example.org");
    expect(matchZone("example.org", zones)?.name).toBe("example.org");
    expect(matchZone("example.net", zones)).toBeNull();
    expect(matchZone("xexample.org", [zone("example.org")])).toBeNull();
    expect(matchZone("a.example.org", [])).toBeNull();
  });
});

async function twoZones(): Promise<{ cf: CloudflareDouble; customerZoneId: string; token: string }> {
  const token = `tok-${randomBytes(8).toString("hex")}`;
  const own = { id: randomBytes(16).toString("hex"), name: BASE };
  const customer = { id: randomBytes(16).toString("hex"), name: CUSTOMER };
  const cf = track(await startCloudflareDouble({ tokens: [token], zones: [own, customer] }));
  await managed({ type: "cloudflare", apiToken: token, zoneId: own.id, baseUrl: cf.url });
  return { cf, customerZoneId: customer.id, token };
}

async function domainRow(domain: string) {
  const instance = (await db.instance.findFirst({ where: { name: "web" } })) ?? (await insertInstance("web"));
  return { instance, domain: await db.customDomain.create({ data: { instanceId: instance.id, domain, token: "wharf-test" } }) };
}

describe("custom-domain CNAMEs at the Cloudflare double", () => {
  it("finds the domain's zone once per pass, and none in wildcard mode", async () => {
    const { cf } = await twoZones();
    const s = await getSettings();
    const cache: ZoneCache = new Map();
    expect((await managedZoneFor(`shop.${CUSTOMER}`, s, cache))?.zone.name).toBe(CUSTOMER);
    expect(await managedZoneFor("shop.example.org", s, cache)).toBeNull();
    expect((await managedZoneFor(CUSTOMER, s, cache))?.apex).toBe(true);
    expect(cf.requests.filter((r) => r.path.endsWith("/zones")).length).toBe(1);
    await settings({ dns: { mode: "wildcard" } });
    expect(await managedZoneFor(`shop.${CUSTOMER}`, await getSettings())).toBeNull();
  });

  it("writes a marked, ledgered CNAME to the instance in the customer's zone, repairs its drift, and the DNS pass leaves it alone", async () => {
    const { cf, customerZoneId, token } = await twoZones();
    const { instance, domain } = await domainRow(`shop.${CUSTOMER}`);
    const s = await getSettings();
    const res = await ensureDomainDns({ domain, instance, settings: s });
    expect(res).toMatchObject({ managed: true, ok: true, zone: CUSTOMER });
    const written = cf.records().filter((r) => r.name === domain.domain);
    expect(written).toEqual([expect.objectContaining({ type: "CNAME", content: WEB, proxied: false, comment: `wharf:${installationId()}:domain:${domain.id}`, zone_id: customerZoneId })]);
    expect(await db.dnsRecord.findUnique({ where: { fqdn: domain.domain } })).toMatchObject({ consumerType: "domain", consumerId: domain.id, zone: CUSTOMER, status: "synced", type: "CNAME", content: WEB });

    // Idempotent: a second pass changes nothing.
    const writes = () => cf.requests.filter((r) => r.method !== "GET").length;
    const before = writes();
    expect(await ensureDomainDns({ domain, instance, settings: s })).toMatchObject({ ok: true });
    expect(writes()).toBe(before);

    // Drift of Wharf's own record (content changed, marker kept) is put back.
    const rec = written[0];
    cf.addRecord({ name: `other.${CUSTOMER}`, type: "A", content: "192.0.2.9", ttl: 300 }, customerZoneId);
    // Edited in the dashboard: PATCH keeps the comment (Wharf's marker).
    const edited = await fetch(`${cf.url}/zones/${customerZoneId}/dns_records/${rec.id}`, {
      method: "PATCH", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ content: "elsewhere.example.net" }),
    });
    expect(edited.status).toBe(200);
    expect(cf.records().filter((r) => r.name === domain.domain).map((r) => r.content)).toEqual(["elsewhere.example.net"]);
    expect(await ensureDomainDns({ domain, instance, settings: s })).toMatchObject({ ok: true });
    expect(cf.records().filter((r) => r.name === domain.domain).map((r) => r.content)).toEqual([WEB]);

    // The DNS pass plans only instances and standalone proxies: the domain's record and row stay.
    await runSync({ trigger: "manual", scope: "dns", actor: SYSTEM_ACTOR });
    expect(cf.records().filter((r) => r.name === domain.domain)).toHaveLength(1);
    expect(await db.dnsRecord.count({ where: { consumerType: "domain" } })).toBe(1);

    // Removal deletes exactly that record; the hand-made one stays.
    expect(await removeDomainDns({ domainId: domain.id, settings: s })).toEqual({ ok: true });
    expect(cf.records().filter((r) => r.name === domain.domain)).toEqual([]);
    expect(cf.records().filter((r) => r.name === `other.${CUSTOMER}`)).toHaveLength(1);
    expect(await db.dnsRecord.count({ where: { consumerType: "domain" } })).toBe(0);
  });

  it("never overwrites or deletes a record at the name that Wharf did not create: a conflict, reported", async () => {
    const { cf, customerZoneId } = await twoZones();
    const { instance, domain } = await domainRow(`taken.${CUSTOMER}`);
    cf.addRecord({ name: domain.domain, type: "A", content: "198.51.100.7", ttl: 300, comment: "made by hand" }, customerZoneId);
    const other = await domainRow(`cname.${CUSTOMER}`);
    cf.addRecord({ name: other.domain.domain, type: "CNAME", content: "elsewhere.example.net", ttl: 300 }, customerZoneId);
    const s = await getSettings();
    const snapshot = () => cf.records().map((r) => ({ id: r.id, name: r.name, type: r.type, content: r.content, comment: r.comment }));
    const before = snapshot();
    const res = await ensureDomainDns({ domain, instance, settings: s });
    expect(res).toMatchObject({ managed: true, ok: false });
    expect(res.managed && !res.ok && res.error).toBe(
      `${domain.domain} already has A 198.51.100.7, created by someone else (not Wharf); Wharf leaves it alone: delete it at the DNS provider for Wharf to write the CNAME, or point it here yourself`,
    );
    expect(await ensureDomainDns({ domain: other.domain, instance, settings: s })).toMatchObject({ managed: true, ok: false });
    // A record marked by another Wharf installation is foreign too.
    const third = await domainRow(`other-wharf.${CUSTOMER}`);
    cf.addRecord({ name: third.domain.domain, type: "CNAME", content: "web.other.example", ttl: 300, comment: `wharf:someone-else:domain:${third.domain.id}` }, customerZoneId);
    const before3 = snapshot();
    const res3 = await ensureDomainDns({ domain: third.domain, instance, settings: s });
    expect(res3.managed && !res3.ok && res3.error).toContain("created by another Wharf installation");
    expect(snapshot()).toEqual(before3);
    expect(before3.filter((r) => r.name !== third.domain.domain)).toEqual(before);
    expect(await db.dnsRecord.count()).toBe(0);
    // Removal has nothing of Wharf's to delete: the foreign records stay.
    expect(await removeDomainDns({ domainId: domain.id, settings: s })).toEqual({ ok: true });
    expect(snapshot()).toEqual(before3);
  });

  it("deletes the CNAME of a domain whose row is gone (a removal whose delete failed), and only that", async () => {
    const { cf } = await twoZones();
    const { instance, domain } = await domainRow(`gone.${CUSTOMER}`);
    const kept = await domainRow(`kept.${CUSTOMER}`);
    const s = await getSettings();
    await ensureDomainDns({ domain, instance, settings: s });
    await ensureDomainDns({ domain: kept.domain, instance, settings: s });
    await db.customDomain.delete({ where: { id: domain.id } });
    expect(await removeOrphanDomainDns({ settings: s })).toEqual({ removed: 1, failed: [] });
    expect(cf.records().filter((r) => r.type === "CNAME").map((r) => r.name)).toEqual([kept.domain.domain]);
    expect((await db.dnsRecord.findMany()).map((r) => r.fqdn)).toEqual([kept.domain.domain]);
  });

  it("leaving managed DNS deletes the domain's CNAME in its own zone with Wharf's other records, and the change is saved", async () => {
    const { cf } = await twoZones();
    const { instance, domain } = await domainRow(`switch.${CUSTOMER}`);
    expect(await ensureDomainDns({ domain, instance, settings: await getSettings() })).toMatchObject({ ok: true });
    expect(cf.records().filter((r) => r.name === domain.domain)).toHaveLength(1);
    await settings({ dns: { mode: "wildcard" } }, true);
    expect((await getSettings()).dns.mode).toBe("wildcard");
    expect(cf.records().filter((r) => r.name === domain.domain)).toEqual([]);
    expect(await db.dnsRecord.count()).toBe(0);
  });

  it("writes nothing for a domain in no zone of the provider's", async () => {
    const { cf } = await twoZones();
    const { instance, domain } = await domainRow("shop.example.org");
    expect(await ensureDomainDns({ domain, instance, settings: await getSettings() })).toEqual({ managed: false });
    expect(cf.requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(await db.dnsRecord.count()).toBe(0);
  });
});
