import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { db } from "../db";
import { AppError } from "../errors";
import { buildCaddyRoute } from "../proxy/caddy-route";
import { caddyIssuer, httpsEndpoint, policyInsertionIndex, serverTlsProblem } from "../proxy/caddy-tls";
import { lastObtainError } from "../proxy/caddy-tls-log";
import type { RouteSpec } from "../proxy/types";
import { isPublicDomain } from "../settings/defaults";
import { getSettings, SETTINGS_KEY } from "../settings/get-settings";
import { applySettingsUpdate, updateSettings } from "../configuration/update-settings";
import type { TSettings } from "../settings/schemas";
import { presentTls, routeTls } from "./consumer-tls";
import { nextRetryAt } from "./timeouts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----";

describe("TLS settings", () => {
  beforeEach(async () => {
    await db.setting.deleteMany();
  });

  it("proposes ACME only for a public base domain", () => {
    for (const d of ["example.dev", "apps.acme.io", "a.b.co.uk"]) expect(isPublicDomain(d), d).toBe(true);
    for (const d of ["wharf.localhost", "nas.local", "box.lan", "svc.internal", "it.wharf.test", "home.arpa", "x.home.arpa", "192.0.2.10", "example.com", "shop.example.org", "localhost"]) {
      expect(isPublicDomain(d), d).toBe(false);
    }
  });

  it("a new installation proposes internal for wharf.localhost; a stored settings row from before TLS reads as off", async () => {
    expect((await getSettings()).tls.mode).toBe("internal");
    await db.setting.create({ data: { key: SETTINGS_KEY, value: JSON.stringify({ baseDomain: "apps.example.dev" }) } });
    const upgraded = await getSettings();
    expect(upgraded.tls).toEqual({ mode: "off", acme: { directoryUrl: "https://acme-v02.api.letsencrypt.org/directory", email: null, trustedRootPem: null } });
  });

  it("updates TLS partially: acme fields merge one by one, null clears an optional one", async () => {
    await updateSettings({ actor: SYSTEM_ACTOR, body: { tls: { mode: "acme", acme: { directoryUrl: "https://127.0.0.1:14000/dir", email: "ops@example.com", trustedRootPem: PEM } } } });
    await updateSettings({ actor: SYSTEM_ACTOR, body: { tls: { acme: { email: null } } } });
    expect((await getSettings()).tls).toEqual({ mode: "acme", acme: { directoryUrl: "https://127.0.0.1:14000/dir", email: null, trustedRootPem: PEM } });
    await updateSettings({ actor: SYSTEM_ACTOR, body: { baseDomain: "other.example.dev" } });
    expect((await getSettings()).tls.mode).toBe("acme");
  });

  it("refuses bad TLS input with the field named", async () => {
    const current = await getSettings();
    const field = (body: unknown) => {
      try {
        applySettingsUpdate(current, body);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        return (err as AppError).field;
      }
      throw new Error("expected a validation error");
    };
    expect(field({ tls: { mode: "letsencrypt" } })).toBe("tls.mode");
    expect(field({ tls: { acme: { directoryUrl: "http://ca.example.dev/dir" } } })).toBe("tls.acme.directoryUrl");
    expect(field({ tls: { acme: { email: "not-an-address" } } })).toBe("tls.acme.email");
    expect(field({ tls: { acme: { trustedRootPem: "hello" } } })).toBe("tls.acme.trustedRootPem");
    expect(field({ tls: { extra: 1 } })).toMatch(/^tls/);
  });
});

const settingsWith = (mode: TSettings["tls"]["mode"]) => ({ tls: { mode, acme: { directoryUrl: "https://ca.example.dev/dir", email: null, trustedRootPem: null } } }) as TSettings;
const cols = { tlsHttps: true, tlsRedirect: true, tlsHsts: false, certStatus: "pending" };

describe("routeTls: redirect and HSTS wait for the issued certificate", () => {
  it("no TLS when off or when the consumer opts out", () => {
    expect(routeTls(settingsWith("off"), cols)).toBeUndefined();
    expect(routeTls(settingsWith("acme"), { ...cols, tlsHttps: false })).toBeUndefined();
  });
  it("pending: a policy but no redirect; issued: redirect, and HSTS only when opted in", () => {
    expect(routeTls(settingsWith("acme"), cols)).toMatchObject({ issuer: { mode: "acme" }, redirect: false, hsts: false });
    expect(routeTls(settingsWith("internal"), { ...cols, certStatus: "issued", tlsHsts: true })).toMatchObject({ issuer: { mode: "internal" }, redirect: true, hsts: true });
    expect(routeTls(settingsWith("acme"), { ...cols, certStatus: "issued", tlsRedirect: false })).toMatchObject({ redirect: false });
    // A standalone proxy's "force TLS" is a redirect.
    expect(routeTls(settingsWith("acme"), { ...cols, certStatus: "issued", tlsRedirect: false, forceTls: true })).toMatchObject({ redirect: true });
  });
  it("presents issuer and expiry only when issued, the error and retry only when not", () => {
    const notAfter = new Date(Date.now() + 90 * 24 * 3600_000);
    expect(presentTls({ certStatus: "issued", certIssuer: "Pebble Intermediate CA", certNotAfter: notAfter, certError: "old", certRetryAt: null })).toEqual({
      status: "issued", issuer: "Pebble Intermediate CA", notAfter, expiresSoon: false,
    });
    const retryAt = new Date();
    expect(presentTls({ certStatus: "failed", certIssuer: null, certNotAfter: null, certError: "refused", certRetryAt: retryAt })).toEqual({ status: "failed", error: "refused", retryAt });
    expect(presentTls({ certStatus: "off", certIssuer: null, certNotAfter: null, certError: null, certRetryAt: null })).toEqual({ status: "off" });
  });
  it("retries back off: base, doubling, at most 6 hours", () => {
    const now = 1_000_000;
    expect(nextRetryAt(1, now).getTime() - now).toBe(60_000);
    expect(nextRetryAt(3, now).getTime() - now).toBe(240_000);
    expect(nextRetryAt(40, now).getTime() - now).toBe(6 * 3600_000);
  });
});

describe("Caddy TLS pieces", () => {
  const spec: RouteSpec = { id: "wharf-instance-abc", consumer: { type: "instance", id: "abc" }, hosts: ["web.example.dev"], upstream: { scheme: "http", host: "127.0.0.1", port: 9000 } };
  const tls = { issuer: { mode: "acme" as const, acme: { directoryUrl: "https://ca/dir", email: null, trustedRootPem: null } }, redirect: true, hsts: true };

  it("a route without TLS, or on a server that cannot serve it, is the plain one", () => {
    const plain = buildCaddyRoute(spec);
    expect(buildCaddyRoute({ ...spec, tls })).toEqual(plain);
    expect(buildCaddyRoute({ ...spec, tls: { ...tls, redirect: false, hsts: false } }, { httpsPort: 443 })).toEqual(plain);
  });

  it("redirect (308 to the HTTPS port) and HSTS live inside the consumer's one route", () => {
    const r = buildCaddyRoute({ ...spec, tls }, { httpsPort: 5003 });
    expect(r["@id"]).toBe(spec.id);
    const sub = (r.handle![0] as { routes: { match?: unknown[]; handle: { handler: string; headers?: unknown; status_code?: number }[] }[] }).routes;
    expect(sub[0]).toEqual({ match: [{ protocol: "http" }], handle: [{ handler: "static_response", status_code: 308, headers: { Location: ["https://{http.request.host}:5003{http.request.uri}"] } }] });
    expect(sub[1].match).toEqual([{ protocol: "https" }]);
    expect(sub[2].handle[0].handler).toBe("reverse_proxy");
    const std = buildCaddyRoute({ ...spec, tls: { ...tls, hsts: false } }, { httpsPort: 443 });
    expect(JSON.stringify(std)).toContain('"https://{http.request.host}{http.request.uri}"');
  });

  it("the issuer is always explicit; a private root goes to a file Caddy can read", () => {
    expect(caddyIssuer({ mode: "internal", acme: tls.issuer.acme })).toEqual({ module: "internal" });
    const dir = mkdtempSync(path.join(tmpdir(), "wharf-root-"));
    const issuer = caddyIssuer({ mode: "acme", acme: { directoryUrl: "https://ca/dir", email: "ops@example.dev", trustedRootPem: PEM } }, (pem) => {
      const f = path.join(dir, "root.pem");
      writeFileSync(f, pem);
      return f;
    });
    expect(issuer).toEqual({ module: "acme", ca: "https://ca/dir", email: "ops@example.dev", trusted_roots_pem_files: [path.join(dir, "root.pem")] });
    expect(readFileSync(path.join(dir, "root.pem"), "utf8")).toBe(PEM);
  });

  it("Wharf's policies go before the operator's catch-all policy, never after it", () => {
    expect(policyInsertionIndex([])).toBe(0);
    expect(policyInsertionIndex([{ subjects: ["a.example.dev"] }, { issuers: [] }, { subjects: ["b.example.dev"] }])).toBe(1);
    expect(policyInsertionIndex([{ "@id": "wharf-tls-x", subjects: ["c.example.dev"] }, { subjects: ["a.example.dev"] }])).toBe(2);
  });

  it("knows when a server cannot serve HTTPS, and where to shake hands", () => {
    expect(serverTlsProblem("wharf", { listen: ["127.0.0.1:8480"], automatic_https: { disable: true } }, 80)).toMatch(/automatic HTTPS disabled/);
    expect(serverTlsProblem("wharf", { listen: [":80"] }, 80)).toMatch(/only on the HTTP port 80/);
    expect(serverTlsProblem("wharf", { listen: ["127.0.0.1:5002", "127.0.0.1:5003"], automatic_https: { disable_redirects: true } }, 5002)).toBeNull();
    expect(httpsEndpoint({ listen: ["127.0.0.1:5002", "127.0.0.1:5003"] }, 5002, 5003, "http://127.0.0.1:2029")).toEqual({ address: "127.0.0.1", port: 5003 });
    expect(httpsEndpoint({ listen: [":443"] }, 80, 443, "http://caddy:2019")).toEqual({ address: "caddy", port: 443 });
    expect(httpsEndpoint({ listen: ["[::1]:8443"] }, 80, 443, "http://caddy:2019")).toEqual({ address: "::1", port: 8443 });
  });

  it("finds the CA's refusal for a host in Wharf's Caddy log, only from the current attempt", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "wharf-log-")), "obtain.log");
    const t = Date.now() / 1000;
    const line = (ts: number, host: string, error: string) =>
      JSON.stringify({ level: "error", ts, logger: "tls.obtain", msg: "could not get certificate from issuer", identifier: host, issuer: "ca-dir", error });
    writeFileSync(file, [line(t - 100, "a.example.dev", "old"), line(t - 1, "a.example.dev", "HTTP 400 urn:ietf:params:acme:error:dns - no such host"), line(t, "b.example.dev", "other"), "not json"].join("\n") + "\n");
    expect(lastObtainError(file, "a.example.dev", new Date((t - 10) * 1000))).toBe("ca-dir: HTTP 400 urn:ietf:params:acme:error:dns - no such host");
    expect(lastObtainError(file, "a.example.dev", new Date((t + 5) * 1000))).toBeNull();
    expect(lastObtainError(file, "c.example.dev", new Date(0))).toBeNull();
    expect(lastObtainError(path.join(tmpdir(), "missing-wharf.log"), "a.example.dev", new Date(0))).toBeNull();
  });
});
