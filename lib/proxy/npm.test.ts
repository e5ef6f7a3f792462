import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startNpmDouble, type NpmDouble } from "../../test/doubles/npm-double";
import { AppError } from "../errors";
import { routeId } from "../naming";
import { createProxyProvider } from "./index";
import { markerLine } from "./npm-host";
import { NpmProvider } from "./npm";
import type { RouteSpec } from "./types";
import { rejection } from "../../test/helpers/assert";

const EMAIL = "ops@example.com";
const PASSWORD = "s3cret-pass";
let npm: NpmDouble;
let provider: NpmProvider;

function spec(n: string, port = 8080, extra: Partial<RouteSpec> = {}): RouteSpec {
  return {
    id: routeId("instance", n),
    consumer: { type: "instance", id: n },
    hosts: [`${n}.apps.example.com`],
    upstream: { scheme: "http", host: "192.0.2.10", port },
    ...extra,
  };
}

beforeEach(async () => {
  npm = await startNpmDouble({ email: EMAIL, password: PASSWORD });
  provider = new NpmProvider({ type: "npm", url: npm.url, email: EMAIL, password: PASSWORD });
});
afterEach(async () => npm.close());

describe("NpmProvider ensureRoute / removeRoute", () => {
  it("creates a marked proxy host and lists it as Wharf's", async () => {
    const route = await provider.ensureRoute(spec("web"));
    const [host] = npm.hosts();
    expect(host).toMatchObject({ domain_names: ["web.apps.example.com"], forward_host: "192.0.2.10", forward_port: 8080, forward_scheme: "http", enabled: true });
    expect(host.advanced_config).toBe(markerLine("wharf-instance-web"));
    expect(host.meta).toMatchObject({ wharf_route_id: "wharf-instance-web", nginx_online: true });
    expect(route).toEqual({ id: "wharf-instance-web", hosts: ["web.apps.example.com"], upstreams: [{ scheme: "http", host: "192.0.2.10", port: 8080 }], providerId: String(host.id) });
    expect(await provider.listRoutes()).toEqual([route]);
  });

  it("is idempotent and switches the upstream of the same host in place", async () => {
    const first = await provider.ensureRoute(spec("web"));
    await provider.ensureRoute(spec("web"));
    const switched = await provider.ensureRoute(spec("web", 9090));
    expect(npm.hosts()).toHaveLength(1);
    expect(switched.providerId).toBe(first.providerId);
    expect(npm.hosts()[0].forward_port).toBe(9090);
    expect(npm.requests.filter((r) => r.method === "POST" && r.path === "/api/nginx/proxy-hosts")).toHaveLength(1);
  });

  it("keeps advanced config and a certificate an operator added to a Wharf host", async () => {
    const { providerId } = await provider.ensureRoute(spec("web"));
    const id = Number(providerId);
    npm.editHost(id, { certificate_id: 7, advanced_config: `${npm.host(id)!.advanced_config}\nclient_max_body_size 50m;` });
    const route = await provider.ensureRoute(spec("web", 8081, { forceTls: true }));
    expect(route.providerId).toBe(providerId);
    expect(npm.host(id)).toMatchObject({ certificate_id: 7, ssl_forced: true, forward_port: 8081 });
    expect(npm.host(id)!.advanced_config).toBe(`${markerLine("wharf-instance-web")}\nclient_max_body_size 50m;`);
  });

  it("collapses duplicate Wharf hosts for one route into the one carrying its domains", async () => {
    const stale = npm.addHost({ domain_names: ["old.apps.example.com"], forward_host: "192.0.2.1", forward_port: 80, advanced_config: markerLine("wharf-instance-web") });
    const current = npm.addHost({ domain_names: ["web.apps.example.com"], forward_host: "192.0.2.1", forward_port: 80, meta: { wharf_route_id: "wharf-instance-web" } });
    const route = await provider.ensureRoute(spec("web"));
    expect(route.providerId).toBe(String(current.id));
    expect(npm.host(stale.id)).toBeUndefined();
    expect(npm.hosts()).toHaveLength(1);
  });

  it("removes idempotently and never touches foreign hosts", async () => {
    const foreign = npm.addHost({ domain_names: ["blog.example.com"], forward_host: "198.51.100.7", forward_port: 2368 });
    await provider.ensureRoute(spec("web"));
    await provider.removeRoute("wharf-instance-web");
    await provider.removeRoute("wharf-instance-web");
    expect(npm.hosts()).toEqual([foreign]);
    expect(await provider.listRoutes()).toEqual([]);
  });

  it("refuses to remove a route id that is not Wharf's without calling NPM", async () => {
    const err = await rejection(provider.removeRoute("blog"));
    expect(err.code).toBe("FOREIGN_RESOURCE");
    expect(npm.requests).toHaveLength(0);
  });
});

describe("NpmProvider ownership on 'already in use'", () => {
  it("refuses a domain held by a foreign host and leaves it untouched", async () => {
    const foreign = npm.addHost({ domain_names: ["web.apps.example.com"], forward_host: "198.51.100.7", forward_port: 80, advanced_config: "# hand-made" });
    const err = await rejection(provider.ensureRoute(spec("web")));
    expect(err.code).toBe("FOREIGN_RESOURCE");
    expect(err.message).toContain("web.apps.example.com");
    expect(err.message).toContain(`#${foreign.id}`);
    expect(npm.hosts()).toEqual([foreign]);
    expect(npm.requests.some((r) => r.method === "PUT" || r.method === "DELETE")).toBe(false);
  });

  it("refuses a domain held by a host it cannot see (redirection host)", async () => {
    npm.reserveDomain("web.apps.example.com");
    const err = await rejection(provider.ensureRoute(spec("web")));
    expect(err.code).toBe("FOREIGN_RESOURCE");
    expect(npm.hosts()).toHaveLength(0);
  });

  it("adopts the host when a concurrent writer created it with this route's marker", async () => {
    let raced: number | null = null;
    npm.setHook((method, path) => {
      if (method === "POST" && path === "/api/nginx/proxy-hosts" && raced === null) {
        raced = npm.addHost({ domain_names: ["web.apps.example.com"], forward_host: "192.0.2.99", forward_port: 1, advanced_config: markerLine("wharf-instance-web") }).id;
      }
    });
    const route = await provider.ensureRoute(spec("web"));
    expect(route.providerId).toBe(String(raced));
    expect(npm.hosts()).toHaveLength(1);
    expect(npm.hosts()[0]).toMatchObject({ forward_host: "192.0.2.10", forward_port: 8080 });
  });

  it("recognises its host by either marker (legacy UI drops meta, an operator may clear the text)", async () => {
    const textOnly = npm.addHost({ domain_names: ["a.apps.example.com"], forward_host: "192.0.2.1", forward_port: 80, advanced_config: markerLine("wharf-instance-a"), meta: { letsencrypt_agree: false } });
    const metaOnly = npm.addHost({ domain_names: ["b.apps.example.com"], forward_host: "192.0.2.2", forward_port: 80, meta: { wharf_route_id: "wharf-instance-b" } });
    npm.addHost({ domain_names: ["c.apps.example.com"], forward_host: "192.0.2.3", forward_port: 80, meta: { wharf_route_id: "not-ours" } });
    expect((await provider.listRoutes()).map((r) => [r.id, r.providerId])).toEqual([
      ["wharf-instance-a", String(textOnly.id)],
      ["wharf-instance-b", String(metaOnly.id)],
    ]);
    const route = await provider.ensureRoute(spec("b"));
    expect(route.providerId).toBe(String(metaOnly.id));
    expect(npm.host(metaOnly.id)!.advanced_config).toBe(markerLine("wharf-instance-b"));
  });

  it("refuses to move a Wharf host onto a domain a foreign host holds, keeping both as they were", async () => {
    const { providerId } = await provider.ensureRoute(spec("web"));
    const before = npm.host(Number(providerId));
    const shop = npm.addHost({ domain_names: ["shop.example.com"], forward_host: "198.51.100.9", forward_port: 80 });
    const err = await rejection(provider.ensureRoute({ ...spec("web"), hosts: ["shop.example.com"] }));
    expect(err.code).toBe("FOREIGN_RESOURCE");
    expect(err.message).toContain(`#${shop.id}`);
    expect(npm.host(Number(providerId))).toEqual(before);
    expect(npm.host(shop.id)).toEqual(shop);
  });
});

describe("NpmProvider nginx status", () => {
  it("treats nginx_online:false after a create as a failure and deletes the host again", async () => {
    npm.setNginxFailure("nginx: [emerg] invalid port in upstream");
    const err = await rejection(provider.ensureRoute(spec("web")));
    expect(err.code).toBe("PROVIDER_ERROR");
    expect(err.message).toContain("nginx: [emerg] invalid port in upstream");
    expect(npm.hosts()).toHaveLength(0);
  });

  it("treats nginx_online:false after an update as a failure and restores the previous upstream", async () => {
    const { providerId } = await provider.ensureRoute(spec("web"));
    npm.setNginxFailure("nginx: [emerg] unknown directive", 1);
    const err = await rejection(provider.ensureRoute(spec("web", 9999)));
    expect(err.message).toContain("nginx: [emerg] unknown directive");
    expect(err.message).toContain("previous settings were restored");
    expect(npm.host(Number(providerId))).toMatchObject({ forward_port: 8080, meta: { nginx_online: true } });
  });
});

describe("NpmProvider tokens and options", () => {
  it("logs in again once when the token expires mid-run", async () => {
    await provider.ensureRoute(spec("web"));
    npm.expireTokens();
    expect(await provider.listRoutes()).toHaveLength(1);
    const tail = npm.requests.slice(-3).map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(tail).toEqual(["GET /api/nginx/proxy-hosts 400", "POST /api/tokens 200", "GET /api/nginx/proxy-hosts 200"]);
  });

  it("renews a token close to expiry with GET /api/tokens", async () => {
    npm.setTokenLifetime(30_000);
    await provider.listRoutes();
    await provider.listRoutes();
    expect(npm.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toContain("GET /api/tokens 200");
    expect(npm.requests.filter((r) => r.method === "POST" && r.path === "/api/tokens")).toHaveLength(1);
  });

  it("reports bad credentials with NPM's own message", async () => {
    const bad = new NpmProvider({ type: "npm", url: npm.url, email: EMAIL, password: "wrong" });
    const result = await bad.testConnection();
    expect(result.ok).toBe(false);
    expect(result.message).toContain("Invalid email or password");
    expect(result.message).not.toContain("wrong");
    expect((await rejection(bad.ensureRoute(spec("web")))).code).toBe("PROVIDER_ERROR");
  });

  it("refuses forced TLS on a host without a certificate before writing", async () => {
    const err = await rejection(provider.ensureRoute(spec("web", 8080, { forceTls: true })));
    expect(err.code).toBe("VALIDATION");
    expect(npm.hosts()).toHaveLength(0);
  });

  it("sends websocket upgrades unless told not to", async () => {
    await provider.ensureRoute(spec("a"));
    await provider.ensureRoute(spec("b", 80, { websockets: false, upstream: { scheme: "https", host: "backend.example.com", port: 443 } }));
    const [a, b] = npm.hosts();
    expect(a.allow_websocket_upgrade).toBe(true);
    expect(b).toMatchObject({ allow_websocket_upgrade: false, forward_scheme: "https", forward_host: "backend.example.com" });
  });

  it("tests the connection and is chosen by createProxyProvider", async () => {
    const p = createProxyProvider({ type: "npm", url: `${npm.url}/`, email: EMAIL, password: PASSWORD });
    expect(p.type).toBe("npm");
    const result = await p.testConnection();
    expect(result).toEqual({ ok: true, message: `Connected to Nginx Proxy Manager at ${npm.url}: 0 proxy host(s), 0 of them Wharf's` });
    const down = createProxyProvider({ type: "npm", url: "http://127.0.0.1:9", email: EMAIL, password: PASSWORD });
    expect((await down.testConnection()).message).toMatch(/unreachable: connect ECONNREFUSED 127\.0\.0\.1:9/);
  });
});

describe("NpmProvider against NPM 2.15's real answers", () => {
  it("sends an IPv6 upstream bracketed and reads it back without brackets, so there is no drift", async () => {
    const route = await provider.ensureRoute(spec("v6", 8080, { upstream: { scheme: "http", host: "::1", port: 35051 } }));
    const [host] = npm.hosts();
    expect(host.forward_host).toBe("[::1]");
    expect(npm.upstream(host.id).error).toBeNull();
    expect(route.upstreams).toEqual([{ scheme: "http", host: "::1", port: 35051 }]);
    expect((await provider.listRoutes())[0].upstreams[0].host).toBe("::1");
    const writes = npm.requests.filter((r) => r.method === "PUT" || r.method === "POST").length;
    await provider.ensureRoute(spec("v6", 8080, { upstream: { scheme: "http", host: "::1", port: 35051 } }));
    expect(npm.requests.filter((r) => r.method === "PUT" || r.method === "POST").length).toBe(writes + 1); // one idempotent PUT, no create
    expect(npm.hosts()).toHaveLength(1);
  });

  it("recovers from a token NPM can no longer verify (500 for ever) by logging in again", async () => {
    await provider.ensureRoute(spec("web"));
    npm.invalidateTokens();
    expect(await provider.listRoutes()).toHaveLength(1);
    expect(npm.requests.slice(-3).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "GET /api/nginx/proxy-hosts 500",
      "POST /api/tokens 200",
      "GET /api/nginx/proxy-hosts 200",
    ]);
    npm.invalidateTokens();
    await provider.ensureRoute(spec("api"));
    expect(npm.hosts().map((h) => h.domain_names[0]).sort()).toEqual(["api.apps.example.com", "web.apps.example.com"]);
  });

  it("fails Test connection for a view-only NPM user with a clear message, and reports its 404s as a permission problem", async () => {
    const viewer = { email: "viewer@example.com", password: "viewer-pass" };
    await npm.close();
    npm = await startNpmDouble({ email: EMAIL, password: PASSWORD, users: [{ ...viewer, permissions: { proxy_hosts: "view" } }] });
    const admin = new NpmProvider({ type: "npm", url: npm.url, email: EMAIL, password: PASSWORD });
    const view = new NpmProvider({ type: "npm", url: npm.url, ...viewer });
    expect((await admin.testConnection()).ok).toBe(true);
    expect(await view.testConnection()).toEqual({
      ok: false,
      message: `Nginx Proxy Manager user viewer@example.com may not manage proxy hosts (permission: view); give it "Manage" for Proxy Hosts in NPM's user permissions, or use an administrator`,
    });
    await admin.ensureRoute(spec("web"));
    const err = await rejection(view.removeRoute(routeId("instance", "web")));
    expect(err.message).toMatch(/404 \(Not Found - \/nginx\/proxy-hosts\/\d+\).*may not manage proxy hosts/);
    expect(npm.hosts()).toHaveLength(1);
    // NPM 2.15.1 answers this create with 500 "Internal Error": checked against the user's permission, not retried as a stale token.
    const posts = () => npm.requests.filter((r) => r.method === "POST" && r.path === "/api/nginx/proxy-hosts").length;
    const before = posts();
    const create = await rejection(view.ensureRoute(spec("other")));
    expect(create.message).toContain("the NPM user viewer@example.com lacks the manage permission for proxy hosts (permission: view)");
    expect(posts() - before).toBe(1);
    expect(npm.hosts()).toHaveLength(1);
  });

  it("removes the host a create stored before answering 500, so a retry under a new route id is no conflict", async () => {
    npm.setNginxFailure("nginx: [emerg] unknown directive \"bogus\" in /data/nginx/proxy_host/1.conf:3", 1);
    npm.failCreateAfterStore("nginx: [emerg] unknown directive \"bogus\" in /data/nginx/proxy_host/1.conf:3");
    const err = await rejection(provider.ensureRoute(spec("web")));
    expect(err.message).toMatch(/answered the create of web\.apps\.example\.com with 500 .* Wharf deleted it again/);
    expect(npm.hosts()).toHaveLength(0);
    const retry = await provider.ensureRoute({ ...spec("web"), id: routeId("instance", "web2"), consumer: { type: "instance", id: "web2" } });
    expect(retry).toMatchObject({ id: routeId("instance", "web2"), hosts: ["web.apps.example.com"] });
  });

  it("adopts the host a create stored before answering 500 when nginx serves it", async () => {
    npm.failCreateAfterStore("Internal Error");
    // The double marks such a host offline; a real NPM may have configured it fine: make it online.
    npm.setHook(async (method, path) => {
      if (method === "GET" && path === "/api/nginx/proxy-hosts") {
        for (const h of npm.hosts()) npm.editHost(h.id, { meta: { ...h.meta, nginx_online: true, nginx_err: null } });
      }
    });
    const route = await provider.ensureRoute(spec("web"));
    expect(route).toMatchObject({ hosts: ["web.apps.example.com"] });
    expect(npm.hosts()).toHaveLength(1);
  });
});
