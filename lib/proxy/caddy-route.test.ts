import { describe, expect, it } from "vitest";
import {
  buildCaddyRoute,
  findHostClash,
  forceTlsProblem,
  insertionIndex,
  isHostSpecific,
  sameJson,
  toProxyRoute,
  type CaddyRoute,
} from "./caddy-route";
import type { RouteSpec } from "./types";

const spec: RouteSpec = {
  id: "wharf-instance-web",
  consumer: { type: "instance", id: "web" },
  hosts: ["web.example.com"],
  upstream: { scheme: "http", host: "127.0.0.1", port: 8080 },
};
const hostRoute = (id: string | undefined, ...hosts: string[]): CaddyRoute => ({ ...(id ? { "@id": id } : {}), match: [{ host: hosts }], handle: [] });
const pathRoute: CaddyRoute = { match: [{ path: ["/health"] }], handle: [] };

describe("buildCaddyRoute / toProxyRoute", () => {
  it("builds one terminal host-matched reverse_proxy route", () => {
    expect(buildCaddyRoute(spec)).toEqual({
      "@id": "wharf-instance-web",
      match: [{ host: ["web.example.com"] }],
      handle: [{ handler: "reverse_proxy", upstreams: [{ dial: "127.0.0.1:8080" }] }],
      terminal: true,
    });
  });

  it("uses a TLS transport for https upstreams and brackets IPv6 dial addresses", () => {
    const route = buildCaddyRoute({ ...spec, upstream: { scheme: "https", host: "::1", port: 8443 } });
    expect(route.handle).toEqual([{ handler: "reverse_proxy", upstreams: [{ dial: "[::1]:8443" }], transport: { protocol: "http", tls: {} } }]);
    expect(toProxyRoute(route)?.upstreams).toEqual([{ scheme: "https", host: "::1", port: 8443 }]);
  });

  it("reads Wharf routes back, including upstreams nested in a subroute, and ignores foreign ones", () => {
    expect(toProxyRoute(buildCaddyRoute(spec))).toEqual({ id: spec.id, hosts: spec.hosts, upstreams: [spec.upstream], installation: null });
    // The installation rides in the route's group (Caddy's route JSON has no other free field).
    const grouped = buildCaddyRoute(spec, undefined, "prod-1");
    expect(grouped.group).toBe("wharf.installation=prod-1");
    expect(toProxyRoute(grouped)).toEqual({ id: spec.id, hosts: spec.hosts, upstreams: [spec.upstream], installation: "prod-1" });
    const nested: CaddyRoute = {
      "@id": "wharf-proxy-x",
      match: [{ host: ["A.example.com"] }, { host: ["b.example.com"] }],
      handle: [{ handler: "subroute", routes: [{ handle: [{ handler: "reverse_proxy", upstreams: [{ dial: "backend:80" }] }] }] }],
    };
    expect(toProxyRoute(nested)).toEqual({ id: "wharf-proxy-x", hosts: ["a.example.com", "b.example.com"], upstreams: [{ scheme: "http", host: "backend", port: 80 }], installation: null });
    expect(toProxyRoute(hostRoute("manual", "web.example.com"))).toBeNull();
    expect(toProxyRoute(hostRoute(undefined, "web.example.com"))).toBeNull();
  });
});

describe("ordering", () => {
  it("calls only exact-host routes specific", () => {
    expect(isHostSpecific(hostRoute("a", "x.example.com"))).toBe(true);
    expect(isHostSpecific(hostRoute("a", "*.example.com"))).toBe(false);
    expect(isHostSpecific(pathRoute)).toBe(false);
    expect(isHostSpecific({ handle: [] })).toBe(false);
    expect(isHostSpecific({ match: [{ host: ["x.example.com"] }, { path: ["/"] }] })).toBe(false);
  });

  it("inserts before the first foreign catch-all, else appends", () => {
    expect(insertionIndex([])).toBe(0);
    expect(insertionIndex([hostRoute("a", "a.test"), hostRoute("wharf-proxy-b", "b.test")])).toBe(2);
    expect(insertionIndex([hostRoute("a", "a.test"), pathRoute, hostRoute(undefined, "*.test")])).toBe(1);
    expect(insertionIndex([hostRoute(undefined, "*.test"), pathRoute])).toBe(0);
  });

  it("reports only a clash that would shadow Wharf's route", () => {
    const routes = [hostRoute("manual", "a.test"), buildCaddyRoute({ ...spec, hosts: ["web.example.com"] }), hostRoute(undefined, "web.example.com")];
    expect(findHostClash(routes, spec, 1)).toBeNull();
    expect(findHostClash(routes, { ...spec, hosts: ["a.test"] }, 1)).toEqual({ index: 0, id: "manual", host: "a.test" });
    expect(findHostClash(routes, { ...spec, id: "wharf-instance-other" }, 3)).toEqual({ index: 1, id: "wharf-instance-web", host: "web.example.com" });
  });
});

describe("forceTlsProblem", () => {
  it("accepts a server where automatic HTTPS redirects are active", () => {
    expect(forceTlsProblem("s", { listen: [":443"] })).toBeNull();
    expect(forceTlsProblem("s", { listen: [":80", ":443"], automatic_https: {} })).toBeNull();
  });

  it("refuses servers that cannot redirect to HTTPS", () => {
    expect(forceTlsProblem("wharf", { listen: ["127.0.0.1:8480"], automatic_https: { disable: true } })).toMatch(/'wharf' has automatic HTTPS disabled/);
    expect(forceTlsProblem("s", { listen: [":443"], automatic_https: { disable_redirects: true } })).toMatch(/redirects disabled/);
    expect(forceTlsProblem("s", { listen: [":80"] })).toMatch(/only on the HTTP port 80/);
    expect(forceTlsProblem("s", { listen: [":8080"] }, 8080)).toMatch(/only on the HTTP port 8080/);
  });
});

it("compares JSON regardless of key order", () => {
  expect(sameJson({ a: 1, b: [{ c: 2, d: 3 }] }, { b: [{ d: 3, c: 2 }], a: 1 })).toBe(true);
  expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
});
