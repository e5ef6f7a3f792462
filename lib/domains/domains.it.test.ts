import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { db } from "../db";
import { createInstance } from "../deployer/create-instance";
import { waitForJob } from "../deployer/jobs";
import { redeployInstance } from "../deployer/redeploy-instance";
import { removeInstance } from "../deployer/remove-instance";
import { rollbackInstance } from "../deployer/rollback-instance";
import { isAppError } from "../errors";
import { routeId } from "../naming";
import { createProxy } from "../standalone-proxies/create-proxy";
import { deleteProxy } from "../standalone-proxies/delete-proxy";
import { getProxyProvider } from "../proxy";
import { CaddyAdmin } from "../proxy/caddy-admin";
import { getSettings } from "../settings/get-settings";
import { updateSettings } from "../configuration/update-settings";
import { CUSTOMER_ZONE, clearName, ensureZone, setRecords } from "../../test/helpers/customer-zone";
import { CADDY, httpGet, TEST_NETWORK } from "../../test/helpers/http";
import { CADDY_TLS, PEBBLE, POWERDNS, deleteZone, httpsGet, listenerCaPem, pebbleRoot } from "../../test/helpers/tls";
import { addDomain } from "./add-domain";
import { checkDomain } from "./check-domain";
import { checkDomains } from "../reconcile/custom-domains";
import { waitForDomainJobs } from "./domain-jobs";
import { listDomains } from "./list-domains";
import { removeDomain } from "./remove-domain";

// Real PowerDNS as the resolver (WHARF_DNS_RESOLVER), serving Wharf's zone
// and the customer's own zone `customer.test` where records are made by
// hand; real Caddy routing a real container; Pebble and the TLS Caddy for
// the certificate case (test/services/start.sh).
const rand = randomBytes(3).toString("hex");
const base = `i25-${rand}.test`;
const TARGET = "203.0.113.10";
const ELSEWHERE = "198.51.100.7";
const name = `web-${rand}`;
const fqdn = `${name}.${base}`;
const d = (label: string) => `${label}-${rand}.${CUSTOMER_ZONE}`;
const used: string[] = [];

let instanceId = "";

async function useSettings(over: Record<string, unknown> = {}) {
  await updateSettings({
    actor: SYSTEM_ACTOR,
    confirmDnsCleanup: true,
    body: {
      baseDomain: base,
      targetAddress: TARGET,
      docker: { network: TEST_NETWORK },
      proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
      dns: { mode: "wildcard" },
      tls: { mode: "off" },
      ...over,
    },
  });
}

const routeHosts = async (id = instanceId) => (await getProxyProvider(await getSettings())!.listRoutes()).find((r) => r.id === routeId("instance", id))?.hosts ?? [];
const viaCaddy = (host: string) => httpGet({ port: CADDY.httpPort, host }).catch((err: Error) => ({ status: 0, body: err.message }));
const row = (domain: string) => db.customDomain.findUniqueOrThrow({ where: { domain } });

async function add(domain: string) {
  used.push(domain);
  const added = await addDomain({ actor: SYSTEM_ACTOR, instanceId, body: { domain } });
  await waitForDomainJobs();
  return added;
}
async function check(domain: string) {
  await checkDomain({ actor: SYSTEM_ACTOR, instanceId, domain });
  await waitForDomainJobs();
  return row(domain);
}
async function refusal(p: Promise<unknown>) {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!isAppError(err)) throw new Error(`expected a refusal, got ${String(err)}`);
  return { status: err.status, field: err.field, message: err.message };
}

beforeAll(async () => {
  process.env.WHARF_DNS_RESOLVER = POWERDNS.dns;
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  process.env.WHARF_DOMAIN_RECHECK_MS = "0";
  await ensureZone(CUSTOMER_ZONE);
  // Wildcard mode: the operator's `*.<base> A <target>` (SPEC §8), so a CNAME to the instance resolves on.
  await ensureZone(base);
  await setRecords(base, `*.${base}`, "A", [TARGET]);
  await useSettings();
  const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: "wharf-test/web:v1", port: 8080 } });
  instanceId = created.id;
  await waitForJob(instanceId);
  expect((await viaCaddy(fqdn)).body).toContain("wharf-test v1");
}, 120_000);

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
  for (const p of await db.standaloneProxy.findMany()) await deleteProxy({ actor: SYSTEM_ACTOR, id: p.id }).catch(() => undefined);
  for (const domain of used) await clearName(CUSTOMER_ZONE, domain).catch(() => undefined);
  await deleteZone(base);
});

describe("custom domains against PowerDNS and Caddy", () => {
  // While the settings still name the shared Caddy: the next describe switches to the TLS Caddy.
  afterAll(async () => {
    for (const p of await db.standaloneProxy.findMany()) await deleteProxy({ actor: SYSTEM_ACTOR, id: p.id });
    for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id });
  });

  it("a domain with no record ends failed with what was found and expected, a retry time, and no route host", async () => {
    const domain = d("none");
    const added = await add(domain);
    expect(added).toMatchObject({ domain, state: "pending", token: expect.stringMatching(/^wharf-[0-9a-f]{32}$/) });
    expect(added.expected).toEqual([
      { type: "CNAME", name: domain, content: fqdn },
      { type: "A", name: domain, content: TARGET },
      { type: "TXT", name: `_wharf-challenge.${domain}`, content: added.token },
    ]);
    const r = await row(domain);
    expect(r.state).toBe("failed");
    expect(r.reason).toBe(`${domain} has no CNAME, A or AAAA record; expected CNAME to ${fqdn} or A ${TARGET}, or TXT _wharf-challenge.${domain} = ${added.token}`);
    expect(r.retryAt!.getTime()).toBeGreaterThan(Date.now());
    expect(r.routed).toBe(false);
    expect(await routeHosts()).toEqual([fqdn]);
    expect((await viaCaddy(domain)).body).not.toContain("wharf-test");

    // A record pointing elsewhere: the message names it.
    await setRecords(CUSTOMER_ZONE, domain, "A", [ELSEWHERE]);
    expect((await check(domain)).reason).toBe(`${domain} has A ${ELSEWHERE}; expected CNAME to ${fqdn} or A ${TARGET}, or TXT _wharf-challenge.${domain} = ${added.token}`);
    expect((await listDomains({ instanceId })).items.find((i) => i.domain === domain)).toMatchObject({ state: "failed", reason: expect.stringContaining(`has A ${ELSEWHERE}`) });
  });

  it("after a CNAME is added, Check now makes it active and a request with that Host reaches the instance", async () => {
    const domain = d("cname");
    await add(domain);
    expect((await row(domain)).state).toBe("failed");
    await setRecords(CUSTOMER_ZONE, domain, "CNAME", [`${fqdn}.`]);
    const r = await check(domain);
    expect(r.state, r.reason ?? "").toBe("active");
    expect(r.routed).toBe(true);
    expect(await routeHosts()).toContain(domain);
    const res = await viaCaddy(domain);
    expect(res.status).toBe(200);
    expect(res.body).toContain("wharf-test v1");
  });

  it("an A record equal to the target makes a new domain active without a check", async () => {
    const domain = d("addr");
    await setRecords(CUSTOMER_ZONE, domain, "A", [TARGET]);
    await add(domain);
    expect((await row(domain)).state).toBe("active");
    expect((await viaCaddy(domain)).body).toContain("wharf-test v1");
  });

  it("only the TXT token (a Cloudflare-proxied name) proves ownership", async () => {
    const domain = d("txt");
    await setRecords(CUSTOMER_ZONE, domain, "A", ["104.16.1.1"]);
    const added = await add(domain);
    const failed = await row(domain);
    expect(failed.state).toBe("failed");
    expect(failed.reason).toMatch(/Cloudflare proxy addresses/);
    await setRecords(CUSTOMER_ZONE, `_wharf-challenge.${domain}`, "TXT", [`"${added.token}"`]);
    const r = await check(domain);
    expect(r.state, r.reason ?? "").toBe("active");
    expect((await viaCaddy(domain)).body).toContain("wharf-test v1");
  });

  it("a record changed elsewhere is misconfigured and still served; pointing back is active; after the grace period it is unrouted", async () => {
    const domain = d("drift");
    await setRecords(CUSTOMER_ZONE, domain, "A", [TARGET]);
    await add(domain);
    expect((await row(domain)).state).toBe("active");

    await setRecords(CUSTOMER_ZONE, domain, "A", [ELSEWHERE]);
    process.env.WHARF_DOMAIN_GRACE_MS = "60000";
    const r1 = await checkDomains({ settings: await getSettings(), domainIds: [(await row(domain)).id] });
    expect(r1).toMatchObject({ checked: 1, misconfigured: 1 });
    const mis = await row(domain);
    expect(mis.state).toBe("misconfigured");
    expect(mis.reason).toContain(`has A ${ELSEWHERE}`);
    expect((await viaCaddy(domain)).body).toContain("wharf-test v1");

    await setRecords(CUSTOMER_ZONE, domain, "A", [TARGET]);
    expect((await check(domain)).state).toBe("active");

    await setRecords(CUSTOMER_ZONE, domain, "A", [ELSEWHERE]);
    process.env.WHARF_DOMAIN_GRACE_MS = "1500";
    await checkDomains({ settings: await getSettings(), domainIds: [(await row(domain)).id] });
    expect((await row(domain)).state).toBe("misconfigured");
    expect((await viaCaddy(domain)).body).toContain("wharf-test v1");
    await new Promise((r) => setTimeout(r, 1600));
    const r2 = await checkDomains({ settings: await getSettings(), domainIds: [(await row(domain)).id] });
    expect(r2).toMatchObject({ checked: 1, unrouted: 1 });
    const gone = await row(domain);
    expect(gone).toMatchObject({ state: "failed", routed: false });
    expect(gone.reason).toMatch(/unrouted when the grace period ended/);
    expect(await routeHosts()).not.toContain(domain);
    expect((await viaCaddy(domain)).body).not.toContain("wharf-test");
    delete process.env.WHARF_DOMAIN_GRACE_MS;
  });

  it("refuses a duplicate, another consumer's name, the base domain and names under it with 400 naming domain", async () => {
    const proxyDomain = d("proxy");
    await createProxy({ actor: SYSTEM_ACTOR, body: { domain: proxyDomain, upstream: "http://127.0.0.1:9" } });
    const cases: [string, RegExp][] = [
      [d("cname"), /already a custom domain of instance/],
      [proxyDomain, /already used by a standalone proxy/],
      [base, /is the base domain/],
      [`other.${base}`, /is under the base domain/],
      [fqdn, /is under the base domain/],
      ["not a domain", /must be a domain name/],
    ];
    for (const [domain, why] of cases) {
      const r = await refusal(addDomain({ actor: SYSTEM_ACTOR, instanceId, body: { domain } }));
      expect(r, domain).toMatchObject({ status: 400, field: "domain", message: expect.stringMatching(why) });
    }
    // The other way round: a proxy cannot take a custom domain either.
    expect(await refusal(createProxy({ actor: SYSTEM_ACTOR, body: { domain: d("cname"), upstream: "http://127.0.0.1:9" } }))).toMatchObject({ field: "domain" });
  });

  it("a redeploy and a rollback keep the custom hosts; removing a domain takes its host off", async () => {
    const want = [fqdn, ...[d("addr"), d("cname"), d("txt")].sort()];
    await redeployInstance({ actor: SYSTEM_ACTOR, id: instanceId, body: { image: "wharf-test/web:v2" } });
    await waitForJob(instanceId);
    expect(await routeHosts()).toEqual(want);
    expect((await viaCaddy(d("cname"))).body).toContain("wharf-test v2");
    await rollbackInstance({ actor: SYSTEM_ACTOR, id: instanceId });
    await waitForJob(instanceId);
    expect(await routeHosts()).toEqual(want);
    expect((await viaCaddy(d("cname"))).body).toContain("wharf-test v1");

    const removing = await removeDomain({ actor: SYSTEM_ACTOR, instanceId, domain: d("txt") });
    expect(removing.state).toBe("removing");
    await waitForDomainJobs();
    expect(await db.customDomain.count({ where: { domain: d("txt") } })).toBe(0);
    expect(await routeHosts()).not.toContain(d("txt"));
    expect((await viaCaddy(d("txt"))).body).not.toContain("wharf-test");
  });

  it("removing the instance removes its domains: no route host, no rows, nothing served", async () => {
    const hosts = await routeHosts();
    expect(hosts).toContain(d("cname"));
    const removed = await removeInstance({ actor: SYSTEM_ACTOR, id: instanceId });
    expect(removed.status).toBe("removed");
    expect(await db.customDomain.count({ where: { instanceId } })).toBe(0);
    const all = await getProxyProvider(await getSettings())!.listRoutes();
    for (const h of hosts) expect(all.some((r) => r.hosts.includes(h)), h).toBe(false);
    expect((await viaCaddy(d("cname"))).body).not.toContain("wharf-test");
    const audit = await db.auditEvent.findFirst({ where: { action: "instance.remove", target: name }, orderBy: { createdAt: "desc" } });
    expect(audit?.message).toContain(`removed custom domains ${d("addr")}`);
  });
});

describe("custom domain over HTTPS (Pebble, TLS Caddy)", () => {
  const tlsBase = `i25t-${rand}.test`;
  const admin = new CaddyAdmin(CADDY_TLS.admin);
  const policies = async () => (((await admin.get("/config/apps/tls/automation/policies")).value as { subjects?: string[] }[] | null) ?? []);

  afterAll(async () => {
    await deleteZone(tlsBase);
  });

  it("gets a Pebble certificate for the custom host and serves it over HTTPS; removing the instance leaves no route host and no certificate policy", async () => {
    // Pebble validates HTTP-01 by resolving through the same PowerDNS: names point at 127.0.0.1 here.
    await ensureZone(tlsBase);
    await setRecords(tlsBase, `*.${tlsBase}`, "A", ["127.0.0.1"]);
    await updateSettings({
      actor: SYSTEM_ACTOR,
      confirmDnsCleanup: true,
      body: {
        baseDomain: tlsBase,
        targetAddress: "127.0.0.1",
        docker: { network: TEST_NETWORK },
        proxy: { provider: { type: "caddy", adminUrl: CADDY_TLS.admin, server: CADDY_TLS.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
        dns: { mode: "wildcard" },
        tls: { mode: "acme", acme: { directoryUrl: PEBBLE.directory, email: "ops@example.com", trustedRootPem: listenerCaPem().trim() } },
      },
    });
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name: `tls-${rand}`, image: "wharf-test/web:v1", port: 8080 } });
    await waitForJob(created.id);
    const domain = d("secure");
    used.push(domain);
    await setRecords(CUSTOMER_ZONE, domain, "CNAME", [`tls-${rand}.${tlsBase}.`]);
    await addDomain({ actor: SYSTEM_ACTOR, instanceId: created.id, body: { domain } });
    await waitForDomainJobs();
    const r = await row(domain);
    expect(r.state, r.reason ?? "").toBe("active");
    const res = await httpsGet({ port: CADDY_TLS.httpsPort, servername: domain, ca: await pebbleRoot() });
    expect(res.status).toBe(200);
    expect(res.body).toContain("wharf-test v1");
    expect((await policies()).some((p) => p.subjects?.includes(domain))).toBe(true);

    await removeInstance({ actor: SYSTEM_ACTOR, id: created.id });
    expect(await db.customDomain.count({ where: { domain } })).toBe(0);
    expect((await getProxyProvider(await getSettings())!.listRoutes()).some((x) => x.hosts.includes(domain))).toBe(false);
    expect((await policies()).some((p) => p.subjects?.includes(domain))).toBe(false);
  }, 120_000);
});
