import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pdns } from "../../test/chaos/pdns";
import { ensureZone, setRecords } from "../../test/helpers/customer-zone";
import { CADDY, httpGet, TEST_NETWORK } from "../../test/helpers/http";
import { deleteZone, POWERDNS } from "../../test/helpers/tls";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { updateSettings } from "../configuration/update-settings";
import { db } from "../db";
import { createInstance } from "../deployer/create-instance";
import { waitForJob } from "../deployer/jobs";
import { removeInstance } from "../deployer/remove-instance";
import { runSync } from "../reconcile/run-sync";
import { checkDomains } from "../reconcile/custom-domains";
import { installationId } from "../secrets";
import { getSettings } from "../settings/get-settings";
import { addDomain } from "./add-domain";
import { waitForDomainJobs } from "./domain-jobs";
import { listDomains } from "./list-domains";
import { removeDomain } from "./remove-domain";

// Issue 25: a custom domain in a zone the DNS provider manages. Real
// PowerDNS is both Wharf's provider (managed mode, Wharf's zone) and the
// resolver (WHARF_DNS_RESOLVER); the customer's zone is a second zone on the
// same server, created here. Wharf writes the CNAME itself, the resolver
// sees it, the domain is validated and routed by the real Caddy.
const rand = randomBytes(3).toString("hex");
const base = `m25-${rand}.test`;
const customer = `c25-${rand}.test`;
const TARGET = "203.0.113.10";
const name = `web-${rand}`;
const fqdn = `${name}.${base}`;
let instanceId = "";

type Rrset = { name: string; type: string; records: { content: string }[]; comments: { content: string }[] };
async function rrsets(zone: string, at: string): Promise<Rrset[]> {
  const res = await pdns("GET", `/zones/${zone}.`);
  const body = (await res.json()) as { rrsets: Rrset[] };
  return body.rrsets.filter((r) => r.name === `${at}.`).map((r) => ({ name: r.name, type: r.type, records: r.records.map((x) => ({ content: x.content })), comments: r.comments.map((c) => ({ content: c.content })) }));
}
const viaCaddy = (host: string) => httpGet({ port: CADDY.httpPort, host }).catch((err: Error) => ({ status: 0, body: err.message }));
const row = (domain: string) => db.customDomain.findUniqueOrThrow({ where: { domain } });
async function add(domain: string, id = instanceId) {
  await addDomain({ actor: SYSTEM_ACTOR, instanceId: id, body: { domain } });
  await waitForDomainJobs();
  return row(domain);
}

beforeAll(async () => {
  process.env.WHARF_DNS_RESOLVER = POWERDNS.dns;
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  process.env.WHARF_DOMAIN_RECHECK_MS = "0";
  await ensureZone(base);
  await ensureZone(customer);
  await updateSettings({
    actor: SYSTEM_ACTOR,
    confirmDnsCleanup: true,
    body: {
      baseDomain: base,
      targetAddress: TARGET,
      docker: { network: TEST_NETWORK },
      proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
      dns: { mode: "managed", provider: { type: "powerdns", apiUrl: POWERDNS.apiUrl, apiKey: POWERDNS.apiKey, zone: base, serverId: "localhost" } },
      tls: { mode: "off" },
    },
  });
  const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: "wharf-test/web:v1", port: 8080 } });
  instanceId = created.id;
  await waitForJob(instanceId);
  expect(await rrsets(base, fqdn)).toEqual([expect.objectContaining({ type: "A", records: [{ content: TARGET }] })]);
}, 120_000);

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
  await deleteZone(customer);
  await deleteZone(base);
});

describe("a custom domain in a zone the DNS provider manages (real PowerDNS)", () => {
  it("Wharf writes the marked, ledgered CNAME itself, the resolver sees it, and the domain becomes active and is served", async () => {
    const domain = `shop.${customer}`;
    const r = await add(domain);
    expect(r.state, r.reason ?? "").toBe("active");
    expect(r.dnsManaged).toBe(true);
    expect(await rrsets(customer, domain)).toEqual([{ name: `${domain}.`, type: "CNAME", records: [{ content: `${fqdn}.` }], comments: [{ content: `wharf:${installationId()}:domain:${r.id}` }] }]);
    expect(await db.dnsRecord.findUnique({ where: { fqdn: domain } })).toMatchObject({ consumerType: "domain", consumerId: r.id, provider: "powerdns", zone: customer, status: "synced" });
    expect((await listDomains({ instanceId })).items.find((i) => i.domain === domain)).toMatchObject({ state: "active", dns: { managedBy: "wharf", zone: customer, status: "synced" } });
    const res = await viaCaddy(domain);
    expect(res.status).toBe(200);
    expect(res.body).toContain("wharf-test v1");

    // A whole sync (its DNS pass plans only instances and proxies) leaves the CNAME and the domain as they are.
    await runSync({ trigger: "manual", actor: SYSTEM_ACTOR });
    expect((await rrsets(customer, domain)).map((x) => x.records)).toEqual([[{ content: `${fqdn}.` }]]);
    expect((await row(domain)).state).toBe("active");
  }, 60_000);

  it("drift of Wharf's CNAME is repaired at the re-validation; the domain stays active", async () => {
    const domain = `shop.${customer}`;
    const marker = (await rrsets(customer, domain))[0].comments;
    // Edited by hand, marker kept.
    const edited = await pdns("PATCH", `/zones/${customer}.`, { rrsets: [{ name: `${domain}.`, type: "CNAME", ttl: 300, changetype: "REPLACE", records: [{ content: "elsewhere.example.net.", disabled: false }], comments: marker.map((c) => ({ ...c, account: "wharf" })) }] });
    expect(edited.status).toBe(204);
    const report = await checkDomains({ settings: await getSettings(), domainIds: [(await row(domain)).id] });
    expect(report).toMatchObject({ checked: 1, failed: 0, misconfigured: 0 });
    expect((await rrsets(customer, domain)).map((x) => x.records)).toEqual([[{ content: `${fqdn}.` }]]);
    expect((await row(domain)).state).toBe("active");
  });

  it("a record at the name that Wharf did not create is left alone: the domain fails with the conflict and is not routed", async () => {
    const domain = `taken.${customer}`;
    await setRecords(customer, domain, "A", ["198.51.100.7"]);
    const before = await rrsets(customer, domain);
    const r = await add(domain);
    expect(r.state).toBe("failed");
    expect(r.reason).toContain(`${domain} already has A 198.51.100.7, created by someone else (not Wharf); Wharf leaves it alone`);
    expect(r.routed).toBe(false);
    expect(await rrsets(customer, domain)).toEqual(before);
    expect(await db.dnsRecord.findUnique({ where: { fqdn: domain } })).toBeNull();
    await removeDomain({ actor: SYSTEM_ACTOR, instanceId, domain });
    await waitForDomainJobs();
    expect(await rrsets(customer, domain)).toEqual(before);
  });

  it("removing the domain deletes its CNAME; removing the instance deletes the CNAMEs of its domains", async () => {
    const domain = `shop.${customer}`;
    await removeDomain({ actor: SYSTEM_ACTOR, instanceId, domain });
    await waitForDomainJobs();
    expect(await db.customDomain.findUnique({ where: { domain } })).toBeNull();
    expect(await rrsets(customer, domain)).toEqual([]);
    expect(await db.dnsRecord.findUnique({ where: { fqdn: domain } })).toBeNull();

    const second = `second.${customer}`;
    expect((await add(second)).state).toBe("active");
    expect(await rrsets(customer, second)).toHaveLength(1);
    await removeInstance({ actor: SYSTEM_ACTOR, id: instanceId });
    expect(await rrsets(customer, second)).toEqual([]);
    expect(await db.dnsRecord.count({ where: { consumerType: "domain" } })).toBe(0);
    expect((await viaCaddy(second)).body).not.toContain("wharf-test");
  }, 60_000);
});
