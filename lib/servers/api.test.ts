import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { createApiToken } from "../auth/tokens";
import * as list from "../../app/api/servers/route";
import * as one from "../../app/api/servers/[id]/route";
import * as test_ from "../../app/api/servers/[id]/test/route";
import { createInstance } from "../deployer/create-instance";
import { openCredentials } from "./credentials";

// The server API (SPEC §16) through its route handlers: admin only (reads
// included), audited, 4xx naming the field, credentials write-only and bound
// to the address, a server with instances not deletable.
let admin = "";
let viewer = "";
let metricsToken = "";
let tls: { ca: string; cert: string; key: string };
let sshKey = "";
beforeAll(async () => {
  const userId = (await db.user.create({ data: { email: "servers-admin@example.com", passwordHash: "x", role: "admin" } })).id;
  admin = (await createApiToken({ actor: SYSTEM_ACTOR, userId, body: { name: "a", role: "admin" } })).token;
  viewer = (await createApiToken({ actor: SYSTEM_ACTOR, userId, body: { name: "v", role: "viewer" } })).token;
  metricsToken = (await createApiToken({ actor: SYSTEM_ACTOR, userId, body: { name: "m", role: "metrics" } })).token;
  const dir = mkdtempSync(path.join(tmpdir(), "wharf-servers-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${dir}/k.pem`, "-out", `${dir}/c.pem`, "-subj", "/CN=t", "-days", "1"], { stdio: "ignore" });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/id`], { stdio: "ignore" });
  tls = { ca: readFileSync(`${dir}/c.pem`, "utf8"), cert: readFileSync(`${dir}/c.pem`, "utf8"), key: readFileSync(`${dir}/k.pem`, "utf8") };
  sshKey = readFileSync(`${dir}/id`, "utf8");
});

const req = (method: string, token: string | null, body?: unknown) =>
  new Request("http://wharf.test/api/servers", {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
const ctx = (id = "") => ({ params: Promise.resolve({ id }) });

describe("/api/servers", () => {
  it("lists the built-in local server; an admin adds, reads, edits and deletes a TLS server; keys never come back", async () => {
    const empty = await (await list.GET(req("GET", admin), ctx())).json();
    expect(empty.items).toEqual([expect.objectContaining({ id: "local", name: "local", transport: "local", builtIn: true })]);
    const created = await list.POST(req("POST", admin, { name: "edge-1", transport: "tls", address: "198.18.0.11", tls, labels: { zone: "a" } }), ctx());
    expect(created.status).toBe(201);
    const s = await created.json();
    expect(s).toMatchObject({ name: "edge-1", transport: "tls", address: "198.18.0.11", port: 2376, upstreamAddress: "198.18.0.11", status: "unknown", labels: { zone: "a" }, tls: { keySet: true } });
    const text = await (await list.GET(req("GET", admin), ctx())).text();
    expect(JSON.parse(text).items.map((i: { name: string }) => i.name)).toEqual(["local", "edge-1"]);
    expect(text).not.toContain("PRIVATE KEY");
    expect(JSON.stringify(await db.server.findMany())).not.toContain("PRIVATE KEY");
    const patched = await one.PATCH(req("PATCH", admin, { upstreamAddress: "198.18.0.21", labels: { zone: "b" } }), ctx(s.id));
    expect(await patched.json()).toMatchObject({ upstreamAddress: "198.18.0.21", labels: { zone: "b" } });
    expect((await (await one.GET(req("GET", admin), ctx("edge-1"))).json()).id).toBe(s.id);
    expect((await one.DELETE(req("DELETE", admin), ctx(s.id))).status).toBe(204);
    const audit = (await db.auditEvent.findMany({ where: { action: { startsWith: "server." }, result: "ok" } })).map((a) => a.action).sort();
    expect(audit).toEqual(expect.arrayContaining(["server.create", "server.delete", "server.update"]));
    expect(JSON.stringify(await db.auditEvent.findMany())).not.toContain("PRIVATE KEY");
  });

  it("checks the role before the body: viewer 403, metrics and unknown tokens 401", async () => {
    expect((await list.GET(req("GET", "wharf_unknown"), ctx())).status).toBe(401);
    expect((await list.GET(req("GET", viewer), ctx())).status).toBe(403);
    // A metrics token is good for /metrics only: elsewhere it is no credential at all.
    expect((await list.GET(req("GET", metricsToken), ctx())).status).toBe(401);
    // A malformed body from a viewer is refused for the role, not parsed.
    const r = await list.POST(new Request("http://wharf.test/api/servers", { method: "POST", headers: { authorization: `Bearer ${viewer}`, "content-type": "application/json" }, body: "{not json" }), ctx());
    expect(r.status).toBe(403);
    expect((await test_.POST(req("POST", viewer), ctx("local"))).status).toBe(403);
    expect(await db.server.count()).toBe(0);
  });

  it("names the field of bad input", async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: "Bad Name", transport: "tls", address: "198.18.0.11", tls }, "name"],
      [{ name: "local", transport: "tls", address: "198.18.0.11", tls }, "name"],
      [{ name: "x", transport: "ftp", address: "198.18.0.11" }, "transport"],
      [{ name: "x", transport: "tls", address: "198.18.0.11" }, "tls"],
      [{ name: "x", transport: "tls", address: "not an address!", tls }, "address"],
      [{ name: "x", transport: "tls", address: "198.18.0.11", port: 70000, tls }, "port"],
      [{ name: "x", transport: "tls", address: "198.18.0.11", tls: { ...tls, key: "nope" } }, "tls.key"],
      [{ name: "x", transport: "ssh", address: "198.18.0.12", ssh: { user: "deploy", privateKey: sshKey, hostKeySha256: "md5:aa" } }, "ssh.hostKeySha256"],
      [{ name: "x", transport: "ssh", address: "198.18.0.12", tls }, "ssh"],
      [{ name: "x", transport: "tls", address: "198.18.0.11", tls, extra: 1 }, "extra"],
    ];
    for (const [body, field] of cases) {
      const r = await list.POST(req("POST", admin, body), ctx());
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect((await r.json()).error.field).toBe(field);
    }
    expect(await db.server.count()).toBe(0);
  });

  it("binds credentials to the address: a new address needs them again, and stored ones never open for another address", async () => {
    const s = await (await list.POST(req("POST", admin, { name: "edge-2", transport: "ssh", address: "198.18.0.12", ssh: { user: "deploy", privateKey: sshKey } }), ctx())).json();
    expect(s).toMatchObject({ port: 22, ssh: { user: "deploy", privateKeySet: true, hostKeySha256: null } });
    const moved = await one.PATCH(req("PATCH", admin, { address: "198.18.0.13" }), ctx(s.id));
    expect(moved.status).toBe(400);
    expect((await moved.json()).error.field).toBe("ssh");
    const row = await db.server.findUniqueOrThrow({ where: { id: s.id } });
    expect(() => openCredentials({ ...row, address: "198.18.0.13" })).toThrow(/entered for 198\.18\.0\.12:22/);
    const again = await one.PATCH(req("PATCH", admin, { address: "198.18.0.13", ssh: { user: "deploy", privateKey: sshKey, hostKeySha256: `SHA256:${"A".repeat(43)}` } }), ctx(s.id));
    expect(await again.json()).toMatchObject({ address: "198.18.0.13", status: "unknown", ssh: { hostKeySha256: `SHA256:${"A".repeat(43)}` } });
    await db.server.delete({ where: { id: s.id } });
  });

  it("refuses to delete a server with instances (409 naming them), and instances name their server", async () => {
    const s = await (await list.POST(req("POST", admin, { name: "edge-3", transport: "tls", address: "198.18.0.11", tls }), ctx())).json();
    const unknown = await createInstance({ actor: SYSTEM_ACTOR, body: { name: "on-nowhere", image: "busybox:latest", port: 80, server: "nowhere" } }).catch((e: { field?: string }) => e);
    expect(unknown).toMatchObject({ field: "server" });
    // A row as createInstance leaves it, without starting a deploy against an engine that is not there.
    await db.instance.create({ data: { name: "on-edge", image: "busybox:latest", subdomain: "on-edge", port: 80, serverId: s.id, status: "stopped" } });
    const refused = await one.DELETE(req("DELETE", admin), ctx(s.id));
    expect(refused.status).toBe(409);
    expect((await refused.json()).error.message).toContain("on-edge");
    expect((await (await one.GET(req("GET", admin), ctx(s.id))).json()).instances).toBe(1);
    await db.instance.update({ where: { name: "on-edge" }, data: { status: "removed" } });
    expect((await one.DELETE(req("DELETE", admin), ctx(s.id))).status).toBe(204);
    expect((await db.instance.findUniqueOrThrow({ where: { name: "on-edge" } })).serverId).toBeNull();
  });

  it("the local server is not edited or deleted here", async () => {
    const r = await one.DELETE(req("DELETE", admin), ctx("local"));
    expect(r.status).toBe(400);
    expect((await r.json()).error.message).toContain("built-in");
  });
});
