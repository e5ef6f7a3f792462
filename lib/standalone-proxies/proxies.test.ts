import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startAdguardDouble, type AdguardDouble } from "../../test/doubles/adguard-double";
import { startNpmDouble, type NpmDouble } from "../../test/doubles/npm-double";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { db } from "../db";
import { AppError } from "../errors";
import { updateSettings } from "../configuration/update-settings";
import { createProxy } from "./create-proxy";
import { deleteProxy } from "./delete-proxy";
import { getProxy } from "./get-proxy";
import { listProxies } from "./list-proxies";
import { parseUpstream } from "./schemas";
import { updateProxy } from "./update-proxy";
import { rejection } from "../../test/helpers/assert";

const EMAIL = "ops@example.com";
const PASSWORD = "npm-test-pass";
const actor = SYSTEM_ACTOR;
let npm: NpmDouble;

const create = (body: Record<string, unknown>) => createProxy({ actor, body });
const useNpm = () => updateSettings({ actor, body: { proxy: { provider: { type: "npm", url: npm.url, email: EMAIL, password: PASSWORD } } } });
const audit = (action: string) => db.auditEvent.findMany({ where: { action }, orderBy: { createdAt: "asc" } });

beforeEach(async () => {
  npm = await startNpmDouble({ email: EMAIL, password: PASSWORD });
  await updateSettings({ actor, body: { baseDomain: "apps.example.com", targetAddress: "203.0.113.10", dns: { mode: "wildcard", provider: null } } });
  await useNpm();
});

afterEach(async () => {
  await npm.close();
  await db.standaloneProxy.deleteMany();
  await db.instance.deleteMany();
  await db.dnsRecord.deleteMany();
  await db.auditEvent.deleteMany();
  vi.restoreAllMocks();
});

describe("parseUpstream", () => {
  it("defaults the port from the scheme and normalises the host", () => {
    expect(parseUpstream("http://192.0.2.10")).toEqual({ ok: true, upstream: { scheme: "http", host: "192.0.2.10", port: 80 } });
    expect(parseUpstream("HTTPS://Backend.Example.com/")).toEqual({ ok: true, upstream: { scheme: "https", host: "backend.example.com", port: 443 } });
    expect(parseUpstream("http://[2001:db8::1]:8080")).toEqual({ ok: true, upstream: { scheme: "http", host: "2001:db8::1", port: 8080 } });
    expect(parseUpstream("http://backend:3000")).toEqual({ ok: true, upstream: { scheme: "http", host: "backend", port: 3000 } });
  });

  it.each([
    ["192.0.2.10:8080", /must be a URL/],
    ["ftp://192.0.2.10:21", /http:\/\/ or https:\/\/, not ftp/],
    ["http://192.0.2.10:8080/app", /must not have a path \(\/app\)/],
    ["http://192.0.2.10:8080?x=1", /query string/],
    ["http://user:pw@192.0.2.10:8080", /credentials/],
    ["http://192.0.2.10:0", /port must be a number from 1 to 65535/],
    ["http://192.0.2.10:70000", /port must be a number from 1 to 65535/],
    ["http://192.0.2.10:", /port must be/],
    ["http://:8080", /must name a host/],
    ["http://bad host:80", /invalid host name/],
    ["http://[zz::1]:80", /invalid IPv6/],
  ])("refuses %s", (raw, message) => {
    const parsed = parseUpstream(raw);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(message);
  });
});

describe("validation names the field", () => {
  it.each([
    [{ domain: "not a domain!", upstream: "http://192.0.2.10:8080" }, "domain", /domain name/],
    [{ upstream: "http://192.0.2.10:8080" }, "domain", /is required/],
    [{ domain: "a.example.com", upstream: "http://192.0.2.10:8080/path" }, "upstream", /must not have a path/],
    [{ domain: "a.example.com", upstream: "ftp://192.0.2.10" }, "upstream", /http:\/\/ or https:\/\//],
    [{ domain: "a.example.com", upstream: "http://192.0.2.10:0" }, "upstream", /1 to 65535/],
    [{ domain: "a.example.com", upstream: "http://192.0.2.10:70000" }, "upstream", /1 to 65535/],
    [{ domain: "a.example.com", upstream: "http://192.0.2.10", extra: 1 }, "extra", /not a known field/],
    // Only the field: lib/validation.ts currently words every wrong-type value as "is required".
    [{ domain: "a.example.com", upstream: "http://192.0.2.10", websockets: "yes" }, "websockets", /./],
  ])("%j → %s", async (body, field, message) => {
    const err = await rejection(create(body));
    expect(err.code).toBe("VALIDATION");
    expect(err.field).toBe(field);
    expect(err.message).toMatch(new RegExp(`^${field}: `));
    expect(err.message).toMatch(message);
    expect(await db.standaloneProxy.count()).toBe(0);
    expect(npm.hosts()).toEqual([]);
  });

  it("refuses the bare base domain", async () => {
    const err = await rejection(create({ domain: "apps.example.com", upstream: "http://192.0.2.10" }));
    expect(err).toMatchObject({ code: "VALIDATION", field: "domain" });
    expect(err.message).toContain("bare base domain");
  });

  it("refuses a domain used by another proxy or by an instance, on create and on rename", async () => {
    const a = await create({ domain: "a.example.com", upstream: "http://192.0.2.10" });
    const dup = await rejection(create({ domain: "A.Example.com.", upstream: "http://192.0.2.11" }));
    expect(dup).toMatchObject({ code: "CONFLICT", field: "domain" });
    expect(dup.message).toContain("already used by a standalone proxy");

    await db.instance.create({ data: { name: "web", image: "example/web:1", subdomain: "web", port: 8080, status: "running" } });
    const inst = await rejection(create({ domain: "web.apps.example.com", upstream: "http://192.0.2.10" }));
    expect(inst).toMatchObject({ code: "CONFLICT", field: "domain" });
    expect(inst.message).toContain("instance web");

    const rename = await rejection(updateProxy({ actor, id: a.id, body: { domain: "web.apps.example.com" } }));
    expect(rename).toMatchObject({ code: "CONFLICT", field: "domain" });
    expect((await getProxy({ id: a.id })).domain).toBe("a.example.com");
    // Its own domain is not a conflict.
    expect((await updateProxy({ actor, id: a.id, body: { domain: "a.example.com" } })).domain).toBe("a.example.com");
    expect(npm.hosts()).toHaveLength(1);
  });

  it("refuses an unknown field and a bad value on update, leaving the row as it was", async () => {
    const p = await create({ domain: "upd.example.com", upstream: "http://192.0.2.10:8080" });
    expect(await rejection(updateProxy({ actor, id: p.id, body: { port: 81 } }))).toMatchObject({ code: "VALIDATION", field: "port" });
    expect(await rejection(updateProxy({ actor, id: p.id, body: { upstream: "http://192.0.2.10:8080/x" } }))).toMatchObject({ code: "VALIDATION", field: "upstream" });
    expect(await getProxy({ id: p.id })).toMatchObject({ upstream: "http://192.0.2.10:8080" });
    expect(npm.host(npm.hosts()[0].id)?.forward_port).toBe(8080);
  });

  it("answers NOT_FOUND for an unknown id", async () => {
    expect((await rejection(getProxy({ id: "nope" }))).code).toBe("NOT_FOUND");
    expect((await rejection(updateProxy({ actor, id: "nope", body: {} }))).code).toBe("NOT_FOUND");
    expect((await rejection(deleteProxy({ actor, id: "nope" }))).code).toBe("NOT_FOUND");
  });
});

describe("against Nginx Proxy Manager (double)", () => {
  it("creates, updates and deletes the route with the row, and audits each step", async () => {
    const p = await create({ domain: "shop.example.com", upstream: "http://192.0.2.20:8080", websockets: true });
    expect(p).toMatchObject({ domain: "shop.example.com", upstream: "http://192.0.2.20:8080", websockets: true, forceTls: false, route: { status: "active" }, dns: { status: "wildcard" } });
    const [host] = npm.hosts();
    expect(host).toMatchObject({ domain_names: ["shop.example.com"], forward_scheme: "http", forward_host: "192.0.2.20", forward_port: 8080, allow_websocket_upgrade: true });
    expect(host.meta.wharf_route_id).toBe(`wharf-proxy-${p.id}`);

    const renamed = await updateProxy({ actor, id: p.id, body: { domain: "store.example.com" } });
    expect(renamed).toMatchObject({ domain: "store.example.com", route: { status: "active" } });
    expect(npm.hosts()).toHaveLength(1);
    expect(npm.host(host.id)?.domain_names).toEqual(["store.example.com"]);

    const moved = await updateProxy({ actor, id: p.id, body: { upstream: "https://backend.example.com", websockets: false } });
    expect(moved).toMatchObject({ upstream: "https://backend.example.com:443", websockets: false, domain: "store.example.com" });
    expect(npm.host(host.id)).toMatchObject({ forward_scheme: "https", forward_host: "backend.example.com", forward_port: 443, allow_websocket_upgrade: false });

    expect((await listProxies()).items.map((x) => x.id)).toEqual([p.id]);
    await deleteProxy({ actor, id: p.id });
    expect(npm.hosts()).toEqual([]);
    expect(await db.standaloneProxy.count()).toBe(0);

    expect((await audit("proxy.create")).map((e) => [e.result, e.target])).toEqual([["ok", "shop.example.com"]]);
    expect((await audit("proxy.update")).map((e) => e.message)).toEqual([
      "domain shop.example.com → store.example.com",
      "upstream http://192.0.2.20:8080 → https://backend.example.com:443, websockets off",
    ]);
    expect((await audit("proxy.delete")).map((e) => [e.result, e.target])).toEqual([["ok", "store.example.com"]]);
  });

  it("writes nothing when nginx rejects the route, and returns the provider's error", async () => {
    npm.setNginxFailure("nginx: [emerg] unknown directive");
    const err = await rejection(create({ domain: "broken.example.com", upstream: "http://192.0.2.20:8080" }));
    expect(err.code).toBe("PROVIDER_ERROR");
    expect(err.message).toContain("nginx: [emerg] unknown directive");
    expect(await db.standaloneProxy.count()).toBe(0);
    expect(npm.hosts()).toEqual([]);
    expect((await audit("proxy.create")).map((e) => e.result)).toEqual(["error"]);
  });

  it("refuses a domain a foreign NPM host holds (FOREIGN_RESOURCE on the domain field) and leaves that host alone", async () => {
    const foreign = npm.addHost({ domain_names: ["taken.example.com"], forward_host: "192.0.2.99", forward_port: 80 });
    const err = await rejection(create({ domain: "taken.example.com", upstream: "http://192.0.2.20:8080" }));
    expect(err).toMatchObject({ code: "FOREIGN_RESOURCE", field: "domain" });
    expect(err.message).toContain(`proxy host #${foreign.id}`);
    expect(await db.standaloneProxy.count()).toBe(0);

    const p = await create({ domain: "free.example.com", upstream: "http://192.0.2.20:8080" });
    const rename = await rejection(updateProxy({ actor, id: p.id, body: { domain: "taken.example.com", upstream: "http://192.0.2.21:9000" } }));
    expect(rename.code).toBe("FOREIGN_RESOURCE");
    expect(await getProxy({ id: p.id })).toMatchObject({ domain: "free.example.com", upstream: "http://192.0.2.20:8080" });
    expect(npm.host(foreign.id)).toMatchObject({ domain_names: ["taken.example.com"], forward_host: "192.0.2.99" });
  });

  it("surfaces the provider's forced-TLS refusal on the forceTls field", async () => {
    const err = await rejection(create({ domain: "tls.example.com", upstream: "http://192.0.2.20:8080", forceTls: true }));
    expect(err).toMatchObject({ code: "VALIDATION", field: "forceTls" });
    expect(err.message).toContain("SSL certificate");
    expect(await db.standaloneProxy.count()).toBe(0);
  });

  it("removes the route again when the row cannot be written", async () => {
    // The row's insert is one fenced transaction (issue 26): that transaction fails.
    vi.spyOn(db, "$transaction").mockRejectedValueOnce(new Error("disk I/O error"));
    await expect(create({ domain: "comp.example.com", upstream: "http://192.0.2.20:8080" })).rejects.toThrow("disk I/O error");
    expect(npm.requests.some((r) => r.method === "POST" && r.path === "/api/nginx/proxy-hosts")).toBe(true);
    expect(npm.hosts()).toEqual([]);
    expect(await db.standaloneProxy.count()).toBe(0);
  });

  it("keeps the row when the route cannot be removed", async () => {
    const p = await create({ domain: "keep.example.com", upstream: "http://192.0.2.20:8080" });
    npm.setHook((method) => {
      if (method === "DELETE") throw new Error("database is locked");
    });
    const err = await rejection(deleteProxy({ actor, id: p.id }));
    expect(err.code).toBe("PROVIDER_ERROR");
    expect(err.message).toContain("database is locked");
    expect(await db.standaloneProxy.count()).toBe(1);
    expect(npm.hosts()).toHaveLength(1);
    npm.setHook(null);
    await deleteProxy({ actor, id: p.id });
    expect(npm.hosts()).toEqual([]);
  });
});

describe("without a proxy provider", () => {
  it("stores the proxy with route not_configured and touches no provider", async () => {
    await updateSettings({ actor, body: { proxy: { provider: null } } });
    const p = await create({ domain: "noroute.example.com", upstream: "http://192.0.2.30:81" });
    expect(p.route).toEqual({ status: "not_configured" });
    const updated = await updateProxy({ actor, id: p.id, body: { upstream: "http://192.0.2.30:82" } });
    expect(updated).toMatchObject({ upstream: "http://192.0.2.30:82", route: { status: "not_configured" } });
    await deleteProxy({ actor, id: p.id });
    expect(await db.standaloneProxy.count()).toBe(0);
    expect(npm.requests).toEqual([]);
  });
});

describe("DNS hooks", () => {
  it("in wildcard mode leaves DNS alone: no ledger rows, status wildcard", async () => {
    const p = await create({ domain: "wild.example.com", upstream: "http://192.0.2.40:80" });
    await updateProxy({ actor, id: p.id, body: { domain: "wild2.example.com" } });
    expect((await getProxy({ id: p.id })).dns).toEqual({ status: "wildcard" });
    expect(await db.dnsRecord.count()).toBe(0);
    await deleteProxy({ actor, id: p.id });
    expect(await db.dnsRecord.count()).toBe(0);
  });

  describe("in managed mode (AdGuard Home double)", () => {
    let adguard: AdguardDouble;
    beforeEach(async () => {
      adguard = await startAdguardDouble();
      await updateSettings({ actor, body: { dns: { mode: "managed", provider: { type: "adguard", url: adguard.url, username: adguard.username, password: adguard.password } } } });
    });
    afterEach(async () => adguard.close());

    it("ensures the record on create, moves it on a domain change, and removes it on delete", async () => {
      const p = await create({ domain: "dns.example.com", upstream: "http://192.0.2.40:80" });
      expect(p.dns).toEqual({ status: "synced" });
      expect(adguard.rewrites()).toEqual([{ domain: "dns.example.com", answer: "203.0.113.10", enabled: true }]);

      await updateProxy({ actor, id: p.id, body: { upstream: "http://192.0.2.41:80" } });
      expect(adguard.rewrites().map((r) => r.domain)).toEqual(["dns.example.com"]);

      const renamed = await updateProxy({ actor, id: p.id, body: { domain: "dns2.example.com" } });
      expect(renamed.dns).toEqual({ status: "synced" });
      expect(adguard.rewrites().map((r) => r.domain)).toEqual(["dns2.example.com"]);
      expect((await db.dnsRecord.findMany()).map((r) => [r.fqdn, r.consumerType, r.consumerId])).toEqual([["dns2.example.com", "standalone", p.id]]);

      await deleteProxy({ actor, id: p.id });
      expect(adguard.rewrites()).toEqual([]);
      expect(await db.dnsRecord.count()).toBe(0);
    });

    it("a DNS failure does not fail the create: the ledger row is failed with the provider's error", async () => {
      await adguard.close();
      const p = await create({ domain: "dnsdown.example.com", upstream: "http://192.0.2.40:80" });
      expect(p.route.status).toBe("active");
      expect(p.dns.status).toBe("failed");
      expect(p.dns).toHaveProperty("error");
      expect((await audit("proxy.create"))[0].message).toContain("DNS failed");
      adguard = await startAdguardDouble();
    });
  });
});
