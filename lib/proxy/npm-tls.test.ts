import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { npmDate } from "../../test/doubles/npm-double-certs";
import { startNpmDouble, type NpmDouble } from "../../test/doubles/npm-double";
import { routeId } from "../naming";
import { defaultAcme } from "../settings/defaults";
import { NO_INTERNAL_CA } from "./npm-cert";
import { NpmProvider } from "./npm";
import type { RouteSpec, RouteTls } from "./types";

const EMAIL = "ops@example.com";
const PASSWORD = "s3cret-pass";
const ACME: RouteTls["issuer"] = { mode: "acme", acme: defaultAcme() };
let npm: NpmDouble;
let provider: NpmProvider;

function spec(n: string, tls: Partial<RouteTls> = {}): RouteSpec {
  return {
    id: routeId("instance", n),
    consumer: { type: "instance", id: n },
    hosts: [`${n}.apps.example.com`],
    upstream: { scheme: "http", host: "192.0.2.10", port: 8080 },
    tls: { issuer: ACME, redirect: false, hsts: false, ...tls },
  };
}
const certPosts = () => npm.requests.filter((r) => r.method === "POST" && r.path === "/api/nginx/certificates");

beforeEach(async () => {
  npm = await startNpmDouble({ email: EMAIL, password: PASSWORD });
  provider = new NpmProvider({ type: "npm", url: npm.url, email: EMAIL, password: PASSWORD });
});
afterEach(async () => npm.close());

describe("NpmProvider certificates (TLS mode acme)", () => {
  it("requests a certificate, attaches it, reports it issued, then forces TLS and HSTS once issued", async () => {
    const { providerId } = await provider.ensureRoute(spec("web"));
    const [cert] = npm.certificates();
    expect(cert).toMatchObject({ provider: "letsencrypt", domain_names: ["web.apps.example.com"] });
    expect(certPosts()).toHaveLength(1);
    // Before issued (redirect false): certificate attached, HTTP still served.
    expect(npm.host(Number(providerId))).toMatchObject({ certificate_id: cert.id, ssl_forced: false, hsts_enabled: false, http2_support: true });
    expect(npm.host(Number(providerId))!.meta).toMatchObject({ wharf_certificate_id: cert.id });

    const check = await provider.inspectCertificate("web.apps.example.com", ACME);
    expect(check).toEqual({ status: "issued", issuer: "C = US, O = Let's Encrypt, CN = R11", notAfter: new Date(`${cert.expires_on.replace(" ", "T")}Z`), names: ["web.apps.example.com"] });

    await provider.ensureRoute(spec("web", { redirect: true, hsts: true }));
    expect(npm.host(Number(providerId))).toMatchObject({ certificate_id: cert.id, ssl_forced: true, hsts_enabled: true, http2_support: true });
    expect(certPosts()).toHaveLength(1);
    expect(npm.certificates()).toHaveLength(1);
  });

  it("reports the issuer as Let's Encrypt when NPM's meta has none", async () => {
    npm.addCertificate({ domain_names: ["plain.apps.example.com"], meta: {} });
    await provider.ensureRoute(spec("plain"));
    const check = await provider.inspectCertificate("plain.apps.example.com", ACME);
    expect(check).toMatchObject({ status: "issued", issuer: "Let's Encrypt" });
  });

  it("adopts an existing unexpired certificate for the same names without requesting one, and keeps it on removal", async () => {
    const expired = npm.addCertificate({ domain_names: ["web.apps.example.com"], expires_on: npmDate(new Date(Date.now() - 86_400_000)) });
    const other = npm.addCertificate({ domain_names: ["web.apps.example.com", "www.apps.example.com"] });
    const good = npm.addCertificate({ domain_names: ["web.apps.example.com"] });
    const { providerId } = await provider.ensureRoute(spec("web", { redirect: true }));
    expect(certPosts()).toHaveLength(0);
    expect(npm.host(Number(providerId))).toMatchObject({ certificate_id: good.id, ssl_forced: true });
    expect(npm.host(Number(providerId))!.meta?.wharf_certificate_id).toBeUndefined();

    await provider.removeRoute(routeId("instance", "web"));
    expect(npm.hosts()).toHaveLength(0);
    expect(npm.certificates().map((c) => c.id).sort()).toEqual([expired.id, other.id, good.id].sort());
  });

  it("a certbot failure reads failed with NPM's error and the host keeps serving HTTP; a retry then attaches the certificate", async () => {
    npm.setCertbotFailure("Some challenges have failed. Detail: DNS problem: NXDOMAIN looking up A for web.apps.example.com", 1);
    const { providerId } = await provider.ensureRoute(spec("web", { redirect: true, hsts: true }));
    const host = npm.host(Number(providerId))!;
    expect(host).toMatchObject({ certificate_id: 0, ssl_forced: false, hsts_enabled: false });
    expect(host.meta).toMatchObject({ nginx_online: true });
    expect(npm.certificates()).toHaveLength(0);

    const check = await provider.inspectCertificate("web.apps.example.com", ACME);
    expect(check.status).toBe("failed");
    expect(check.status === "failed" && check.error).toContain("DNS problem: NXDOMAIN looking up A for web.apps.example.com");
    expect(check.status === "failed" && check.final).toBeFalsy();

    // Another route write does not repeat the failed request (the reconciler's backoff does).
    await provider.ensureRoute(spec("web"));
    expect(certPosts()).toHaveLength(1);

    await provider.retryCertificate(routeId("instance", "web"));
    expect(certPosts()).toHaveLength(2);
    const [cert] = npm.certificates();
    expect(npm.host(Number(providerId))).toMatchObject({ certificate_id: cert.id, ssl_forced: false, http2_support: true });
    expect(npm.host(Number(providerId))!.meta).toMatchObject({ wharf_certificate_id: cert.id, wharf_route_id: "wharf-instance-web" });
    expect(npm.host(Number(providerId))!.meta?.wharf_certificate_error).toBeUndefined();
    expect(await provider.inspectCertificate("web.apps.example.com", ACME)).toMatchObject({ status: "issued" });
  });

  it("removing the consumer deletes the certificate Wharf created", async () => {
    await provider.ensureRoute(spec("web"));
    const [cert] = npm.certificates();
    await provider.removeRoute(routeId("instance", "web"));
    expect(npm.hosts()).toHaveLength(0);
    expect(npm.certificates().find((c) => c.id === cert.id)).toBeUndefined();
  });

  it("a domain change requests a certificate for the new names and deletes the one Wharf created for the old", async () => {
    await provider.ensureRoute(spec("web"));
    const [old] = npm.certificates();
    await provider.ensureRoute({ ...spec("web"), hosts: ["shop.apps.example.com"] });
    const certs = npm.certificates();
    expect(certs).toHaveLength(1);
    expect(certs[0]).toMatchObject({ domain_names: ["shop.apps.example.com"] });
    expect(certs[0].id).not.toBe(old.id);
  });

  it("mode internal reads failed (final) without touching the host's certificate; no tls leaves it alone", async () => {
    const { providerId } = await provider.ensureRoute({ ...spec("web"), tls: { issuer: { mode: "internal", acme: defaultAcme() }, redirect: false, hsts: false } });
    expect(certPosts()).toHaveLength(0);
    expect(npm.host(Number(providerId))).toMatchObject({ certificate_id: 0, ssl_forced: false });
    expect(await provider.inspectCertificate("web.apps.example.com", { mode: "internal", acme: defaultAcme() })).toEqual({ status: "failed", error: NO_INTERNAL_CA, final: true });
  });
});
