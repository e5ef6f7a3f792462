import { describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { createInstance } from "../deployer/create-instance";
import { db } from "../db";
import { serverCreateBodyFromForm, serverUpdateBodyFromForm } from "./server-form";
import { createServer, listServers, updateServer } from "./servers";

// A server's bind root (issue 27): set and cleared through the API and the
// form, refused where it cannot work, and bind mounts refused on a server
// that has none, naming the field (the check on the server itself runs on
// real engines in remote-bind-mounts.it.test.ts).
const tls = { ca: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", cert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", key: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n" };
const refusal = async (p: Promise<unknown>) => p.then(() => { throw new Error("expected a refusal"); }, (err: unknown) => err as { code: string; field?: string; message: string });
const form = (entries: [string, string][]) => {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
};

describe("a server's bind root", () => {
  it("is set on create, shown, changed and cleared (null) on update", async () => {
    const s = await createServer({ actor: SYSTEM_ACTOR, body: { name: "edge-b", transport: "tls", address: "198.18.0.11", tls, bindRoot: "/srv/wharf" } });
    expect(s).toMatchObject({ bindRoot: "/srv/wharf" });
    expect((await listServers()).find((x) => x.name === "edge-b")).toMatchObject({ bindRoot: "/srv/wharf" });
    expect(await updateServer({ actor: SYSTEM_ACTOR, id: s.id, body: { bindRoot: "/data/binds" } })).toMatchObject({ bindRoot: "/data/binds" });
    expect(await updateServer({ actor: SYSTEM_ACTOR, id: s.id, body: { labels: { a: "b" } } })).toMatchObject({ bindRoot: "/data/binds" });
    expect(await updateServer({ actor: SYSTEM_ACTOR, id: s.id, body: { bindRoot: null } })).toMatchObject({ bindRoot: null });
    await db.server.delete({ where: { id: s.id } });
  });

  it.each(["relative", "/", "/srv/wharf/", "/srv//wharf", "/srv/../etc", "/srv/./x", "/etc", "/etc/wharf", "/proc/1", "/srv/a\tb"])("refuses %j naming bindRoot", async (bindRoot) => {
    expect(await refusal(createServer({ actor: SYSTEM_ACTOR, body: { name: "edge-c", transport: "tls", address: "198.18.0.11", tls, bindRoot } }))).toMatchObject({ code: "VALIDATION", field: "bindRoot" });
    expect(await db.server.count({ where: { name: "edge-c" } })).toBe(0);
  });

  it("is refused on a Swarm cluster (a task may land on any node)", async () => {
    expect(await refusal(createServer({ actor: SYSTEM_ACTOR, body: { name: "swarm-c", kind: "swarm", transport: "tls", address: "198.18.0.11", tls, bindRoot: "/srv/wharf" } }))).toMatchObject({ field: "bindRoot" });
    const c = await createServer({ actor: SYSTEM_ACTOR, body: { name: "swarm-d", kind: "swarm", transport: "tls", address: "198.18.0.11", tls } });
    expect(await refusal(updateServer({ actor: SYSTEM_ACTOR, id: c.id, body: { bindRoot: "/srv/wharf" } }))).toMatchObject({ field: "bindRoot" });
    await db.server.delete({ where: { id: c.id } });
  });

  it("without one, a bind mount on that server is refused naming the mount and the setting; nothing is stored", async () => {
    const s = await createServer({ actor: SYSTEM_ACTOR, body: { name: "edge-d", transport: "tls", address: "198.18.0.11", tls } });
    const err = await refusal(createInstance({ actor: SYSTEM_ACTOR, body: { name: "binder", image: "wharf-test/web:v1", port: 8080, server: "edge-d", mounts: [{ type: "volume", target: "/v" }, { type: "bind", source: "/srv/wharf/site", target: "/site" }] } }));
    expect(err).toMatchObject({ code: "VALIDATION", field: "mounts.1.source", message: expect.stringContaining("bind mounts are off on server edge-d (set the server's bindRoot") });
    expect(await db.instance.count({ where: { name: "binder" } })).toBe(0);
    await db.server.delete({ where: { id: s.id } });
  });

  it("the forms: blank on Add is not given; emptied on Edit clears it", () => {
    const add = serverCreateBodyFromForm(form([["serverName", "e"], ["transport", "tls"], ["address", "198.18.0.11"], ["bindRoot", ""]]));
    expect(add).not.toHaveProperty("bindRoot");
    expect(serverCreateBodyFromForm(form([["serverName", "e"], ["transport", "tls"], ["address", "198.18.0.11"], ["bindRoot", "/srv/wharf"]]))).toMatchObject({ bindRoot: "/srv/wharf" });
    expect(serverUpdateBodyFromForm(form([["bindRoot", " "]]), "tls")).toMatchObject({ bindRoot: null });
    expect(serverUpdateBodyFromForm(form([["bindRoot", "/srv/b"]]), "tls")).toMatchObject({ bindRoot: "/srv/b" });
    expect(serverUpdateBodyFromForm(form([]), "tls")).not.toHaveProperty("bindRoot");
  });
});
