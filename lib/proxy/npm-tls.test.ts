import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { npmDate } from "../../test/doubles/npm-double-certs";
import { startNpmDouble, type NpmDouble } from "../../test/doubles/npm-double";
import { routeId } from "../naming";
import { defaultAcme } from "../settings/defaults";
import { NO_INTERNAL_CA } from "./npm-cert";
import { liveIssuances } from "./npm-cert-intent";
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
    expect(check).toEqual({ status: "issued", issuer: expect.stringMatching(/^CN=Pebble Intermediate CA [0-9a-f]{6}$/), notAfter: new Date(`${cert.expires_on.replace(" ", "T")}Z`), names: ["web.apps.example.com"] });

    await provider.ensureRoute(spec("web", { redirect: true, hsts: true }));
    expect(npm.host(Number(providerId))).toMatchObject({ certificate_id: cert.id, ssl_forced: true, hsts_enabled: true, http2_support: true });
    expect(certPosts()).toHaveLength(1);
    expect(npm.certificates()).toHaveLength(1);
  });

  it("reads the issuer and expiry from the certificate itself (NPM's download), since NPM's GET has meta {}", async () => {
    await provider.ensureRoute(spec("plain"));
    const [cert] = npm.certificates();
    expect(cert.meta).toEqual({});
    const check = await provider.inspectCertificate("plain.apps.example.com", ACME);
    expect(check).toMatchObject({ status: "issued", issuer: expect.stringMatching(/^CN=Pebble Intermediate CA /), names: ["plain.apps.example.com"] });
    expect(check.status === "issued" && check.issuer).not.toContain("Let's Encrypt");
    expect(npm.requests.some((r) => r.method === "GET" && r.path === `/api/nginx/certificates/${cert.id}/download` && r.status === 200)).toBe(true);
  });

  it("a 20 s issuance neither fails the route nor leaks the certificate after removal", async () => {
    npm.setIssuanceDelay(20_000);
    const started = Date.now();
    const { providerId } = await provider.ensureRoute(spec("slow"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(20_000);
    const [cert] = npm.certificates();
    expect(npm.host(Number(providerId))).toMatchObject({ certificate_id: cert.id });
    expect(npm.host(Number(providerId))!.meta).toMatchObject({ wharf_certificate_id: cert.id });
    npm.setIssuanceDelay(0);
    await provider.removeRoute(routeId("instance", "slow"));
    expect(npm.certificates()).toEqual([]);
  }, 60_000);

  it("after a timeout, claims the certificate NPM stores later as Wharf's: no second request, attached by the retry, deleted on removal", async () => {
    const impatient = new NpmProvider({ type: "npm", url: npm.url, email: EMAIL, password: PASSWORD }, { certificateTimeoutMs: 300 });
    npm.setIssuanceDelay(1_500);
    // The double logs a request when it answers; count POSTs as they arrive.
    let sent = 0;
    npm.setHook((method, path) => void (method === "POST" && path === "/api/nginx/certificates" && sent++));
    const { providerId } = await impatient.ensureRoute(spec("web"));
    // The route stands (HTTP), the certificate NPM is still issuing is recorded as Wharf's.
    const [issuingRow] = npm.certificates();
    expect(issuingRow.expires_on).toBe(issuingRow.created_on);
    expect(npm.host(Number(providerId))).toMatchObject({ certificate_id: 0 });
    expect(npm.host(Number(providerId))!.meta).toMatchObject({ wharf_certificate_id: issuingRow.id });
    expect(await impatient.inspectCertificate("web.apps.example.com", ACME)).toMatchObject({ status: "pending", error: expect.stringContaining("still issuing") });
    await impatient.ensureRoute(spec("web"));
    await impatient.retryCertificate(routeId("instance", "web"));
    expect(sent).toBe(1);

    await new Promise((r) => setTimeout(r, 1_600));
    await impatient.retryCertificate(routeId("instance", "web"));
    expect(sent).toBe(1);
    expect(npm.host(Number(providerId))).toMatchObject({ certificate_id: issuingRow.id });
    expect(await impatient.inspectCertificate("web.apps.example.com", ACME)).toMatchObject({ status: "issued" });
    await impatient.removeRoute(routeId("instance", "web"));
    expect(npm.certificates()).toEqual([]);
  });

  it("a certificate stored after the request timed out and no host recorded it is still Wharf's: removal deletes it", async () => {
    const impatient = new NpmProvider({ type: "npm", url: npm.url, email: EMAIL, password: PASSWORD }, { certificateTimeoutMs: 200 });
    npm.setIssuanceDelay(600);
    // nginx rejects the new host, so it is deleted again and nothing on NPM's side names the certificate.
    npm.setNginxFailure("nginx: [emerg] bogus", 1);
    await expect(impatient.ensureRoute(spec("gone"))).rejects.toThrow(/rejected/);
    expect(npm.hosts()).toEqual([]);
    await new Promise((r) => setTimeout(r, 700));
    expect(npm.certificates()).toHaveLength(1);
    // A later write claims it instead of adopting it as the operator's.
    const { providerId } = await impatient.ensureRoute(spec("gone"));
    const [cert] = npm.certificates();
    expect(npm.host(Number(providerId))!.meta).toMatchObject({ wharf_certificate_id: cert.id });
    await impatient.removeRoute(routeId("instance", "gone"));
    expect(npm.certificates()).toEqual([]);
  });

  it("when certbot fails after Wharf stopped waiting, route writes do not request again; the reconciler's retry does, once", async () => {
    const impatient = new NpmProvider({ type: "npm", url: npm.url, email: EMAIL, password: PASSWORD }, { certificateTimeoutMs: 200 });
    let sent = 0;
    npm.setHook((method, path) => void (method === "POST" && path === "/api/nginx/certificates" && sent++));
    npm.setIssuanceDelay(500);
    npm.setCertbotFailure("Saving debug log to /tmp/letsencrypt-log/letsencrypt.log\nError: urn:ietf:params:acme:error:connection :: refused", 1);
    const { providerId } = await impatient.ensureRoute(spec("late"));
    await new Promise((r) => setTimeout(r, 600));
    expect(npm.certificates()).toEqual([]);
    await impatient.ensureRoute(spec("late"));
    expect(sent).toBe(1);
    expect(await impatient.inspectCertificate("late.apps.example.com", ACME)).toMatchObject({ status: "failed", error: expect.stringContaining("certbot failed") });
    npm.setIssuanceDelay(0);
    await impatient.retryCertificate(routeId("instance", "late"));
    expect(sent).toBe(2);
    expect(npm.host(Number(providerId))).toMatchObject({ certificate_id: npm.certificates()[0].id });
  });

  it("removal right after a timeout deletes the certificate the open request produced", async () => {
    const impatient = new NpmProvider({ type: "npm", url: npm.url, email: EMAIL, password: PASSWORD }, { certificateTimeoutMs: 200 });
    npm.setIssuanceDelay(600);
    npm.setNginxFailure("nginx: [emerg] bogus", 1);
    await expect(impatient.ensureRoute(spec("gone"))).rejects.toThrow(/rejected/);
    await new Promise((r) => setTimeout(r, 700));
    await impatient.removeRoute(routeId("instance", "gone"));
    expect(npm.certificates()).toEqual([]);
  });

  it("turning TLS on for a live host: NPM takes it out of nginx during the one issuance, and Wharf reports it while it lasts", async () => {
    const { providerId } = await provider.ensureRoute({ ...spec("live"), tls: undefined });
    await new Promise((r) => setTimeout(r, 100));
    expect(npm.upstream(Number(providerId)).serving).toBe(true);
    npm.setIssuanceDelay(800);
    const pending = provider.ensureRoute(spec("live"));
    await new Promise((r) => setTimeout(r, 300));
    expect(npm.upstream(Number(providerId))).toMatchObject({ serving: false, outage: "certbot" });
    expect(await liveIssuances(60_000)).toEqual([{ routeId: routeId("instance", "live"), domains: ["live.apps.example.com"], since: expect.any(Date) }]);
    await pending;
    expect(await liveIssuances(60_000)).toEqual([]);
    expect(certPosts()).toHaveLength(1);
    // A new route's certificate is requested before its host exists: nothing is taken out, nothing reported.
    npm.setIssuanceDelay(400);
    const fresh = provider.ensureRoute(spec("fresh"));
    await new Promise((r) => setTimeout(r, 150));
    expect(await liveIssuances(60_000)).toEqual([]);
    expect(npm.hosts().filter((h) => h.domain_names.includes("fresh.apps.example.com"))).toEqual([]);
    await fresh;
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

  it("a certbot failure reads failed with certbot's error line and the host keeps serving HTTP; a retry then attaches the certificate", async () => {
    npm.setCertbotFailure(
      [
        "Saving debug log to /tmp/letsencrypt-log/letsencrypt.log",
        "Requesting a certificate for web.apps.example.com",
        "An unexpected error occurred:",
        "Error: urn:ietf:params:acme:error:dns :: DNS problem: NXDOMAIN looking up A for web.apps.example.com",
        "Ask for help or search for solutions at https://community.letsencrypt.org. See the logfile /tmp/letsencrypt-log/letsencrypt.log or re-run Certbot with -v for more details.",
      ].join("\n"),
      1,
    );
    const { providerId } = await provider.ensureRoute(spec("web", { redirect: true, hsts: true }));
    const host = npm.host(Number(providerId))!;
    expect(host).toMatchObject({ certificate_id: 0, ssl_forced: false, hsts_enabled: false });
    expect(host.meta).toMatchObject({ nginx_online: true });
    expect(npm.certificates()).toHaveLength(0);

    const check = await provider.inspectCertificate("web.apps.example.com", ACME);
    expect(check.status).toBe("failed");
    expect(check.status === "failed" && check.error).toBe(
      "Nginx Proxy Manager could not obtain a certificate (500): Error: urn:ietf:params:acme:error:dns :: DNS problem: NXDOMAIN looking up A for web.apps.example.com",
    );
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
