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
