import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { db } from "../db";
import { AppError } from "../errors";
import { CaddyAdmin } from "../proxy/caddy-admin";
import type { CaddyRoute } from "../proxy/caddy-route";
import { updateSettings } from "../configuration/update-settings";
import { createProxy } from "./create-proxy";
import { deleteProxy } from "./delete-proxy";
import { updateProxy } from "./update-proxy";
import { CADDY, httpGet } from "../../test/helpers/http";
import { caddyRoutes, editCaddyByHand } from "../../test/helpers/caddy";

// Against the real Caddy of test/services/start.sh (admin 127.0.0.1:2019,
// HTTP server "wharf" on 127.0.0.1:8480). Other suites share that Caddy, so
// every name carries a random suffix and only this suite's routes are looked at.
const ADMIN_URL = "http://127.0.0.1:2019";
const ROUTES = "/config/apps/http/servers/wharf/routes";
const rand = randomBytes(4).toString("hex");
const admin = new CaddyAdmin(ADMIN_URL);
const actor = SYSTEM_ACTOR;
const upstreams: http.Server[] = [];
const createdIds: string[] = [];
const foreignId = `manual-${rand}`;
const foreignHost = `foreign-${rand}.wharf.test`;

async function startUpstream(body: string): Promise<number> {
  const server = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  upstreams.push(server);
  return (server.address() as AddressInfo).port;
}

const viaCaddy = (host: string) => httpGet({ port: CADDY.httpPort, host, timeoutMs: 10_000 });


const routes = caddyRoutes;
const byHand = editCaddyByHand;

beforeAll(async () => {
  execFileSync("bash", ["test/services/start.sh"], { stdio: "ignore" });
  await updateSettings({ actor, body: { baseDomain: "apps.example.com", proxy: { provider: { type: "caddy", adminUrl: ADMIN_URL, server: "wharf" } } } });
  const foreign: CaddyRoute = { "@id": foreignId, match: [{ host: [foreignHost] }], handle: [{ handler: "static_response", body: "foreign" }] };
  await byHand(() => ({ method: "POST", path: ROUTES, body: foreign }));
});

afterAll(async () => {
  for (const id of createdIds) await deleteProxy({ actor, id }).catch(() => undefined);
  await byHand((list) => {
    const i = list.findIndex((r) => r["@id"] === foreignId);
    return i === -1 ? null : { method: "DELETE", path: `${ROUTES}/${i}` };
  });
  await Promise.all(upstreams.map((s) => new Promise((r) => s.close(r))));
});

describe("standalone proxies through real Caddy", () => {
  it("serves the domain, follows a domain and upstream change, stops on delete, and never touches a foreign route", async () => {
    const blue = await startUpstream(`blue-${rand}`);
    const green = await startUpstream(`green-${rand}`);
    const first = `p-${rand}.wharf.test`;
    const second = `q-${rand}.wharf.test`;

    const p = await createProxy({ actor, body: { domain: first, upstream: `http://127.0.0.1:${blue}` } });
    createdIds.push(p.id);
    const rid = `wharf-proxy-${p.id}`;
    expect(p.route).toEqual({ status: "active" });
    expect(await viaCaddy(first)).toEqual({ status: 200, body: `blue-${rand}` });
    expect((await routes()).filter((r) => r["@id"] === rid)).toHaveLength(1);

    await updateProxy({ actor, id: p.id, body: { domain: second } });
    expect(await viaCaddy(second)).toEqual({ status: 200, body: `blue-${rand}` });
    // Caddy answers a host no route matches with an empty 200.
    expect(await viaCaddy(first)).toEqual({ status: 200, body: "" });
    expect((await routes()).filter((r) => r["@id"] === rid)).toHaveLength(1);

    const switched = await updateProxy({ actor, id: p.id, body: { upstream: `http://127.0.0.1:${green}` } });
    expect(switched.upstream).toBe(`http://127.0.0.1:${green}`);
    expect(await viaCaddy(second)).toEqual({ status: 200, body: `green-${rand}` });

    await deleteProxy({ actor, id: p.id });
    expect(await viaCaddy(second)).toEqual({ status: 200, body: "" });
    expect((await routes()).filter((r) => r["@id"] === rid)).toEqual([]);
    expect(await db.standaloneProxy.findUnique({ where: { id: p.id } })).toBeNull();

    const foreign = (await routes()).filter((r) => r["@id"] === foreignId);
    expect(foreign).toHaveLength(1);
    expect(await viaCaddy(foreignHost)).toEqual({ status: 200, body: "foreign" });
  });

  it("refuses a domain a foreign Caddy route serves, writing neither route nor row", async () => {
    const port = await startUpstream(`clash-${rand}`);
    const before = await db.standaloneProxy.count();
    const err = await createProxy({ actor, body: { domain: foreignHost, upstream: `http://127.0.0.1:${port}` } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: "FOREIGN_RESOURCE", field: "domain" });
    expect((err as AppError).message).toContain(foreignId);
    expect(await db.standaloneProxy.count()).toBe(before);
    expect((await routes()).filter((r) => JSON.stringify(r).includes(foreignHost)).map((r) => r["@id"])).toEqual([foreignId]);
    expect(await viaCaddy(foreignHost)).toEqual({ status: 200, body: "foreign" });
  });

  it("refuses forced TLS on a server without automatic HTTPS, on the forceTls field", async () => {
    const port = await startUpstream(`tls-${rand}`);
    const err = await createProxy({ actor, body: { domain: `tls-${rand}.wharf.test`, upstream: `http://127.0.0.1:${port}`, forceTls: true } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "VALIDATION", field: "forceTls" });
    expect((await routes()).some((r) => JSON.stringify(r).includes(`tls-${rand}`))).toBe(false);
  });
});
