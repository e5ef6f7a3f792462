import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { ConsumerLease } from "../consumers/consumer-lease";
import { db } from "../db";
import { updateSettings } from "../configuration/update-settings";
import { addDomain } from "./add-domain";
import { waitForDomainJobs } from "./domain-jobs";

// The domain job runs under the instance's consumer lease (SPEC §13): while
// another operation holds it, nothing is decided and the row stays pending;
// once it is free the job runs. The resolver here is a closed loopback port,
// so validation ends at once with "could not answer" — and the domain is
// not routed on a resolver that proved nothing.
let id = "";
const saved = { resolver: process.env.WHARF_DNS_RESOLVER, wait: process.env.WHARF_DOMAIN_LEASE_WAIT_MS };

beforeAll(async () => {
  process.env.WHARF_DNS_RESOLVER = "127.0.0.1:9";
  process.env.WHARF_DOMAIN_LEASE_WAIT_MS = "20000";
  await updateSettings({ actor: SYSTEM_ACTOR, body: { baseDomain: "apps.example.test", targetAddress: "203.0.113.10" } });
  id = (await db.instance.create({ data: { name: "job-web", image: "wharf-test/web:v1", subdomain: "job-web", port: 8080, status: "running" } })).id;
});
afterAll(() => {
  process.env.WHARF_DNS_RESOLVER = saved.resolver;
  process.env.WHARF_DOMAIN_LEASE_WAIT_MS = saved.wait;
});

describe("domain jobs", () => {
  it("wait for the instance's lease, then validate; a resolver that cannot answer leaves the domain failed and unrouted", async () => {
    const held = await ConsumerLease.tryAcquire({ type: "instance", id }, "deploy");
    if (!(held instanceof ConsumerLease)) throw new Error(`lease busy: ${held.busy}`);
    const added = await addDomain({ actor: SYSTEM_ACTOR, instanceId: id, body: { domain: "shop.example.org" } });
    expect(added.state).toBe("pending");
    await new Promise((r) => setTimeout(r, 1500));
    expect((await db.customDomain.findUniqueOrThrow({ where: { domain: "shop.example.org" } })).state).toBe("pending");

    await held.release();
    await waitForDomainJobs();
    const row = await db.customDomain.findUniqueOrThrow({ where: { domain: "shop.example.org" } });
    expect(row).toMatchObject({ state: "failed", routed: false, attempts: 1 });
    expect(row.reason).toMatch(/^127\.0\.0\.1:9 could not answer \(/);
    expect(row.retryAt!.getTime()).toBeGreaterThan(Date.now());
    expect(await db.lease.count({ where: { name: `consumer:instance:${id}` } })).toBe(0);
    const audit = await db.auditEvent.findMany({ where: { target: "shop.example.org" }, orderBy: { createdAt: "asc" } });
    expect(audit.map((a) => [a.action, a.result])).toEqual([["domain.add", "ok"], ["domain.check", "error"]]);
  });
});
