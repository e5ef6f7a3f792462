import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { routeId } from "../naming";
import { CaddyAdmin } from "./caddy-admin";
import { CaddyProvider } from "./caddy";
import type { CaddyRoute } from "./caddy-route";
import { createProxyProvider } from "./index";
import type { RouteSpec } from "./types";
import { installationId } from "../secrets";
import { CADDY, httpGet } from "../../test/helpers/http";
import { caddyRoutes, editCaddyByHand } from "../../test/helpers/caddy";

// Against the real Caddy of test/services/start.sh: admin 127.0.0.1:2019,
// HTTP server "wharf" on 127.0.0.1:8480. Other suites may use the same Caddy
// at the same time, so every name carries a random suffix and assertions only
// look at this suite's routes.
const ADMIN_URL = "http://127.0.0.1:2019";
const ROUTES = "/config/apps/http/servers/wharf/routes";
const rand = randomBytes(4).toString("hex");
const admin = new CaddyAdmin(ADMIN_URL);
const caddy = new CaddyProvider({ type: "caddy", adminUrl: ADMIN_URL, server: "wharf" });
const upstreams: http.Server[] = [];
const usedIds: string[] = [];

async function startUpstream(body: string): Promise<number> {
  const server = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  upstreams.push(server);
  return (server.address() as AddressInfo).port;
}

const viaCaddy = (host: string, path = "/") => httpGet({ port: CADDY.httpPort, host, path, timeoutMs: 10_000 });

function spec(name: string, port: number): RouteSpec {
  const id = routeId("instance", `${name}-${rand}`);
  if (!usedIds.includes(id)) usedIds.push(id);
  return { id, consumer: { type: "instance", id: `${name}-${rand}` }, hosts: [`${name}-${rand}.wharf.test`], upstream: { scheme: "http", host: "127.0.0.1", port } };
}


const count = async (id: string) => (await routes()).filter((r) => r["@id"] === id).length;

const routes = caddyRoutes;
const byHand = editCaddyByHand;

const staticRoute = (body: string, match: Record<string, unknown>, id?: string): CaddyRoute => ({
  ...(id ? { "@id": id } : {}),
  match: [match],
  handle: [{ handler: "static_response", body }],
});
const isMine = (r: CaddyRoute) => JSON.stringify(r).includes(rand);

beforeAll(() => {
  execFileSync("bash", ["test/services/start.sh"], { stdio: "ignore" });
});

afterAll(async () => {
  for (const id of usedIds) await caddy.removeRoute(id);
  // Foreign routes this suite added by hand, last first so indexes stay valid.
  for (let n = 0; n < 10; n++) {
    await byHand((list) => {
      const i = list.findLastIndex(isMine);
      return i === -1 ? null : { method: "DELETE", path: `${ROUTES}/${i}` };
    });
  }
  expect((await routes()).filter(isMine)).toEqual([]);
  await Promise.all(upstreams.map((s) => new Promise((r) => s.close(r))));
});

describe("CaddyProvider against real Caddy", () => {
  it("routes a host to its upstream, upserts without duplicates, and switches upstream in place", async () => {
    const blue = await startUpstream("blue");
    const green = await startUpstream("green");
    const s = spec("app", blue);
    const route = await caddy.ensureRoute(s);
    expect(route).toEqual({ id: s.id, hosts: s.hosts, upstreams: [s.upstream], installation: installationId() });
    expect(await viaCaddy(s.hosts[0])).toEqual({ status: 200, body: "blue" });

    await caddy.ensureRoute(s);
    expect(await count(s.id)).toBe(1);
    const index = (await routes()).findIndex((r) => r["@id"] === s.id);

    await caddy.ensureRoute({ ...s, upstream: { ...s.upstream, port: green } });
    expect(await viaCaddy(s.hosts[0])).toEqual({ status: 200, body: "green" });
    expect(await count(s.id)).toBe(1);
    expect((await routes()).findIndex((r) => r["@id"] === s.id)).toBe(index);
    expect((await caddy.listRoutes()).find((r) => r.id === s.id)?.upstreams).toEqual([{ scheme: "http", host: "127.0.0.1", port: green }]);
  });

  it("leaves foreign routes alone, lists only its own, and goes before a foreign catch-all", async () => {
    const port = await startUpstream("wharf-app");
    const foreignHost = `foreign-${rand}.wharf.test`;
    const anonHost = `anon-${rand}.wharf.test`;
    const catchAllPath = `/catchall-${rand}/*`;
    await byHand(() => ({ method: "POST", path: ROUTES, body: staticRoute("foreign", { host: [foreignHost] }, `manual-${rand}`) }));
    await byHand(() => ({ method: "POST", path: ROUTES, body: staticRoute("anon", { host: [anonHost] }) }));
    await byHand(() => ({ method: "POST", path: ROUTES, body: staticRoute("catch-all", { path: [catchAllPath] }) }));
    const foreignNow = async () => (await routes()).filter((r) => isMine(r) && !String(r["@id"] ?? "").startsWith("wharf-"));
    const foreignBefore = await foreignNow();
    expect(foreignBefore).toHaveLength(3);

    const s = spec("ordered", port);
    await caddy.ensureRoute(s);
    expect(await viaCaddy(s.hosts[0], `/catchall-${rand}/x`)).toEqual({ status: 200, body: "wharf-app" });
    const clash = await caddy.ensureRoute({ ...spec("clash", port), hosts: [foreignHost] }).catch((e: unknown) => e);
    expect(clash).toBeInstanceOf(AppError);
    expect((clash as AppError).code).toBe("FOREIGN_RESOURCE");
    expect((clash as AppError).message).toContain(`manual-${rand}`);
    await caddy.ensureRoute({ ...s, upstream: { ...s.upstream, port: port } });
    await caddy.removeRoute(s.id);

    const listed = await caddy.listRoutes();
    expect(listed.every((r) => r.id.startsWith("wharf-"))).toBe(true);
    expect(listed.some((r) => r.hosts.includes(foreignHost) || r.hosts.includes(anonHost))).toBe(false);
    expect(await foreignNow()).toEqual(foreignBefore);
    expect((await viaCaddy(foreignHost)).body).toBe("foreign");
    expect((await viaCaddy(anonHost)).body).toBe("anon");
  });

  it("removes idempotently and the host stops routing", async () => {
    const s = spec("gone", await startUpstream("here"));
    await caddy.ensureRoute(s);
    expect((await viaCaddy(s.hosts[0])).body).toBe("here");
    await caddy.removeRoute(s.id);
    await caddy.removeRoute(s.id);
    expect(await count(s.id)).toBe(0);
    // Caddy answers an unmatched host with an empty 200.
    expect(await viaCaddy(s.hosts[0])).toEqual({ status: 200, body: "" });
  });

  it("repairs duplicate @ids that Caddy 2.6 accepts from other writers", async () => {
    const s = spec("dup", await startUpstream("dup"));
    const copy = { "@id": s.id, match: [{ host: s.hosts }], handle: [{ handler: "static_response", body: "stale" }] };
    await byHand(() => ({ method: "POST", path: ROUTES, body: copy }));
    await byHand(() => ({ method: "POST", path: ROUTES, body: copy }));
    expect(await count(s.id)).toBe(2);
    await caddy.ensureRoute(s);
    expect(await count(s.id)).toBe(1);
    expect((await viaCaddy(s.hosts[0])).body).toBe("dup");
    await byHand(() => ({ method: "POST", path: ROUTES, body: copy }));
    await caddy.removeRoute(s.id);
    expect(await count(s.id)).toBe(0);
  });

  it("loses and removes no other route when several ensure/remove calls race (ETag/If-Match retries)", async () => {
    const ports = await Promise.all(["r0", "r1", "r2", "r3", "r4", "r5"].map((b) => startUpstream(b)));
    const specs = ports.map((p, i) => spec(`race${i}`, p));
    const neighbours = ["n0", "n1", "n2"].map((n) => `${n}-${rand}.wharf.test`);
    for (const h of neighbours) await byHand(() => ({ method: "POST", path: ROUTES, body: staticRoute(h, { host: [h] }) }));
    await Promise.all(specs.map((s) => caddy.ensureRoute(s)));
    for (const [i, s] of specs.entries()) {
      expect(await count(s.id)).toBe(1);
      expect((await viaCaddy(s.hosts[0])).body).toBe(`r${i}`);
    }
    await Promise.all(specs.map((s) => caddy.removeRoute(s.id)));
    for (const s of specs) expect(await count(s.id)).toBe(0);
    // Concurrent DELETE /id/ would have taken some of these with it.
    for (const h of neighbours) expect((await viaCaddy(h)).body).toBe(h);
  });

  it("refuses forced TLS on a server with automatic HTTPS disabled, before writing", async () => {
    const s = spec("tls", await startUpstream("tls"));
    const err = await caddy.ensureRoute({ ...s, forceTls: true }).catch((e: unknown) => e);
    expect((err as AppError).code).toBe("VALIDATION");
    expect((err as AppError).message).toContain("automatic HTTPS disabled");
    expect(await count(s.id)).toBe(0);
  });

  it("tests the connection with the exact error on failure", async () => {
    expect(await caddy.testConnection()).toMatchObject({ ok: true, message: expect.stringContaining("server 'wharf' listens on 127.0.0.1:8480") });
    const wrong = createProxyProvider({ type: "caddy", adminUrl: ADMIN_URL, server: `nope-${rand}` });
    const result = await wrong.testConnection();
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(new RegExp(`^Caddy at ${ADMIN_URL} has no HTTP server named 'nope-${rand}' \\(its HTTP servers are: .*\\bwharf\\b`));
    const down = createProxyProvider({ type: "caddy", adminUrl: "http://127.0.0.1:9", server: "wharf" });
    expect(await down.testConnection()).toEqual({ ok: false, message: "Caddy admin API at http://127.0.0.1:9 is unreachable: connect ECONNREFUSED 127.0.0.1:9" });
  });
});
