import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { db } from "../db";
import { createInstance } from "../deployer/create-instance";
import { getInstance } from "../instances/get-instance";
import { waitForJob } from "../deployer/jobs";
import { redeployInstance } from "../deployer/redeploy-instance";
import { removeInstance } from "../deployer/remove-instance";
import { createProxy } from "../standalone-proxies/create-proxy";
import { deleteProxy } from "../standalone-proxies/delete-proxy";
import { getProxy } from "../standalone-proxies/get-proxy";
import { CaddyAdmin } from "../proxy/caddy-admin";
import { getSettings } from "../settings/get-settings";
import { updateSettings } from "../configuration/update-settings";
import { httpGet, TEST_NETWORK } from "../../test/helpers/http";
import { CADDY_TLS, PEBBLE, POWERDNS, createZone, deleteZone, httpsGet, listenerCaPem, pebbleRoot, setARecord } from "../../test/helpers/tls";
import { checkCertificates } from "../reconcile/certificates";
import { getTlsRoot } from "./get-tls-root";

// Real Pebble (ACME), the TLS-enabled test Caddy and the real PowerDNS
// (test/services/start.sh): Wharf obtains real certificates, and clients
// that trust only the issuing CA's root fetch the apps over HTTPS.
const rand = randomBytes(3).toString("hex");
const zone = `i13-${rand}.test`;
const admin = new CaddyAdmin(CADDY_TLS.admin);
const policies = async () => (((await admin.get("/config/apps/tls/automation/policies")).value as { "@id"?: string; subjects?: string[] }[] | null) ?? []);

let upstream: http.Server;
let upstreamPort = 0;

function settings(tls: Record<string, unknown>, dnsMode: "managed" | "wildcard") {
  return updateSettings({
    actor: SYSTEM_ACTOR,
    confirmDnsCleanup: true,
    body: {
      baseDomain: zone,
      targetAddress: "127.0.0.1",
      docker: { network: TEST_NETWORK },
      proxy: { provider: { type: "caddy", adminUrl: CADDY_TLS.admin, server: CADDY_TLS.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
      dns: { mode: dnsMode, provider: { type: "powerdns", apiUrl: POWERDNS.apiUrl, apiKey: POWERDNS.apiKey, zone } },
      tls,
    },
  });
}
const acme = (email = "ops@example.com") => ({ mode: "acme", acme: { directoryUrl: PEBBLE.directory, email, trustedRootPem: listenerCaPem().trim() } });

beforeAll(async () => {
  process.env.WHARF_DNS_RESOLVER = POWERDNS.dns;
  process.env.WHARF_TLS_RESOLVE_TIMEOUT_MS = "10000";
  process.env.WHARF_HEALTH_TIMEOUT_MS = "20000";
  await createZone(zone);
  upstream = http.createServer((req, res) => res.end(`upstream ${req.headers.host}`));
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamPort = (upstream.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
  for (const p of await db.standaloneProxy.findMany()) await deleteProxy({ actor: SYSTEM_ACTOR, id: p.id }).catch(() => undefined);
  await deleteZone(zone);
  upstream.close();
});

describe("ACME through Caddy and Pebble, managed DNS at PowerDNS", () => {
  it("deploy → PowerDNS record → Pebble certificate → HTTPS trusted through Pebble's root only → HTTP redirects; removal drops the host from Wharf's policy", async () => {
    await settings(acme(), "managed");
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name: `web-${rand}`, image: "wharf-test/web:v1", port: 8080 } });
    await waitForJob(created.id);
    const inst = await getInstance(created.id);
    const fqdn = `web-${rand}.${zone}`;
    expect(inst.status).toBe("running");
    expect(inst.dns.status).toBe("synced");
    expect(inst.tls, JSON.stringify(inst.tls)).toMatchObject({ status: "issued" });
    expect(inst.tls.issuer).toMatch(/Pebble/);
    expect(new Date(inst.tls.notAfter!).getTime()).toBeGreaterThan(Date.now() + 24 * 3600_000);
    expect(inst.url).toBe(`https://${fqdn}`);

    const root = await pebbleRoot();
    const res = await httpsGet({ port: CADDY_TLS.httpsPort, servername: fqdn, ca: root });
    expect(res.status).toBe(200);
    // The listener CA is not the issuer: trusting it alone must fail the handshake.
    await expect(httpsGet({ port: CADDY_TLS.httpsPort, servername: fqdn, ca: listenerCaPem() })).rejects.toThrow();

    const plain = await new Promise<{ status: number; location?: string }>((resolve, reject) =>
      http.get({ host: "127.0.0.1", port: CADDY_TLS.httpPort, path: "/a?b=1", headers: { host: fqdn }, agent: false }, (r) => {
        r.resume();
        resolve({ status: r.statusCode ?? 0, location: r.headers.location });
      }).on("error", reject),
    );
    expect(plain).toEqual({ status: 308, location: `https://${fqdn}:${CADDY_TLS.httpsPort}/a?b=1` });
    const steps = (await db.deploymentStep.findMany({ where: { deployment: { instanceId: inst.id } }, orderBy: { position: "asc" } })).map((s) => s.name);
    expect(steps.indexOf("route")).toBeLessThan(steps.indexOf("certificate"));
    expect((await policies()).filter((p) => p.subjects?.includes(fqdn))).toHaveLength(1);

    await removeInstance({ actor: SYSTEM_ACTOR, id: inst.id });
    expect((await policies()).filter((p) => p.subjects?.includes(fqdn))).toHaveLength(0);
  });

  it("a name Pebble cannot resolve ends failed with a retry time; once the record exists, the reconciler's retry gets it issued", async () => {
    // Wildcard mode: Wharf makes no record and does not wait for one, so the order reaches Pebble and is refused.
    await settings(acme(), "wildcard");
    process.env.WHARF_TLS_ISSUE_TIMEOUT_MS = "6000";
    const domain = `late-${rand}.${zone}`;
    const created = await createProxy({ actor: SYSTEM_ACTOR, body: { domain, upstream: `http://127.0.0.1:${upstreamPort}` } });
    expect(created.tls.status).toBe("failed");
    // Pebble's own refusal, as Caddy received it.
    expect(created.tls.error).toMatch(/urn:ietf:params:acme:error:\w+ - .*Could not resolve/);
    expect(new Date(created.tls.retryAt!).getTime()).toBeGreaterThan(Date.now());
    // HTTP keeps serving while the certificate is missing: no redirect.
    expect(await httpGet({ port: CADDY_TLS.httpPort, host: domain })).toEqual({ status: 200, body: `upstream ${domain}` });

    await setARecord(zone, domain, "127.0.0.1");
    // Not due yet: the reconciler leaves it alone.
    const early = await checkCertificates({ settings: await getSettings() });
    expect(early.retried).toBe(0);
    await db.standaloneProxy.update({ where: { id: created.id }, data: { certRetryAt: new Date(Date.now() - 1000) } });
    process.env.WHARF_TLS_ISSUE_TIMEOUT_MS = "20000";
    const report = await checkCertificates({ settings: await getSettings() });
    expect(report.retried).toBe(1);
    const after = await getProxy({ id: created.id });
    expect(after.tls).toMatchObject({ status: "issued", issuer: expect.stringMatching(/Pebble/) });
    expect((await httpsGet({ port: CADDY_TLS.httpsPort, servername: domain, ca: await pebbleRoot() })).body).toBe(`upstream ${domain}`);
    await deleteProxy({ actor: SYSTEM_ACTOR, id: created.id });
    expect((await policies()).filter((p) => p.subjects?.includes(domain))).toHaveLength(0);
  });
});

describe("internal mode: Caddy's own CA", () => {
  it("a standalone proxy gets a certificate from Caddy's local authority, verified against the root /api/tls/root serves", async () => {
    await settings({ mode: "internal" }, "wildcard");
    const domain = `lan-${rand}.${zone}`;
    const created = await createProxy({ actor: SYSTEM_ACTOR, body: { domain, upstream: `http://127.0.0.1:${upstreamPort}`, tls: { hsts: true } } });
    expect(created.tls).toMatchObject({ status: "issued", issuer: expect.stringMatching(/Caddy Local Authority/) });
    const root = await getTlsRoot();
    const res = await httpsGet({ port: CADDY_TLS.httpsPort, servername: domain, ca: root.pem });
    expect(res.body).toBe(`upstream ${domain}`);
    expect(res.headers["strict-transport-security"]).toBe("max-age=31536000");
    await deleteProxy({ actor: SYSTEM_ACTOR, id: created.id });
  });

  it("a redeploy changes an instance's TLS options: HSTS turned on shows over HTTPS, the certificate step runs again", async () => {
    await settings({ mode: "internal" }, "wildcard");
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name: `hsts-${rand}`, image: "wharf-test/web:v1", port: 8080, tls: { hsts: false } } });
    await waitForJob(created.id);
    const fqdn = `hsts-${rand}.${zone}`;
    const root = (await getTlsRoot()).pem;
    const before = await getInstance(created.id);
    expect(before.tls, JSON.stringify(before.tls)).toMatchObject({ status: "issued" });
    expect((await httpsGet({ port: CADDY_TLS.httpsPort, servername: fqdn, ca: root })).headers["strict-transport-security"]).toBeUndefined();

    await redeployInstance({ actor: SYSTEM_ACTOR, id: created.id, body: { tls: { hsts: true } } });
    await waitForJob(created.id);
    const after = await getInstance(created.id);
    expect(after.status).toBe("running");
    expect(after.containerId).not.toBe(before.containerId);
    expect(after.tlsOptions).toEqual({ https: true, redirect: true, hsts: true });
    const res = await httpsGet({ port: CADDY_TLS.httpsPort, servername: fqdn, ca: root });
    expect(res.status).toBe(200);
    expect(res.headers["strict-transport-security"]).toBe("max-age=31536000");
    const dep = await db.deployment.findFirstOrThrow({ where: { instanceId: created.id, kind: "redeploy" }, include: { steps: { orderBy: { position: "asc" } } } });
    const steps = dep.steps.map((s) => `${s.name}:${s.status}`);
    expect(steps).toContain("certificate:succeeded");
    expect(steps.indexOf("switch:succeeded")).toBeLessThan(steps.indexOf("certificate:succeeded"));

    // HTTPS off by redeploy: the route drops TLS and the certificate status goes to off.
    await redeployInstance({ actor: SYSTEM_ACTOR, id: created.id, body: { tls: { https: false } } });
    await waitForJob(created.id);
    const off = await getInstance(created.id);
    expect(off.tlsOptions.https).toBe(false);
    expect(off.tls.status).toBe("off");
    expect(off.url).toBe(`http://${fqdn}`);
    await removeInstance({ actor: SYSTEM_ACTOR, id: created.id });
  });
});
