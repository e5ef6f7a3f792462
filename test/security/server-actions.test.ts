import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";

// Settings → Servers' server actions (issue 27): the session and the admin
// role are checked before the form is read; the form's field errors name the
// API's fields; a refused form never carries a key back; a server with
// instances is refused with their names; a test against a port nothing
// listens on records the server down.

const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; sv: number } } }));
vi.mock("next-auth", async (orig) => ({ ...(await orig<typeof import("next-auth")>()), getServerSession: async () => session.current }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { db } = await import("@/lib/db");
const { createUser } = await import("@/lib/auth/users");
const { SYSTEM_ACTOR } = await import("@/lib/audit/record-event");
const { createServerAction, updateServerAction, deleteServerAction, testServerAction, listNodesAction, updateNodeAction } = await import("@/app/(dashboard)/settings/servers-actions");

const form = (entries: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(entries)) f.append(k, v);
  return f;
};

let adminId = "";
let viewerId = "";
let tls: { "tls.ca": string; "tls.cert": string; "tls.key": string };
beforeAll(async () => {
  adminId = (await createUser({ actor: SYSTEM_ACTOR, body: { email: "admin@example.com", password: "admin-password-1", role: "admin" } })).id;
  viewerId = (await createUser({ actor: SYSTEM_ACTOR, body: { email: "viewer@example.com", password: "viewer-password-1", role: "viewer" } })).id;
  const dir = mkdtempSync(path.join(tmpdir(), "wharf-server-actions-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${dir}/k.pem`, "-out", `${dir}/c.pem`, "-subj", "/CN=t", "-days", "1"], { stdio: "ignore" });
  const cert = readFileSync(`${dir}/c.pem`, "utf8");
  tls = { "tls.ca": cert, "tls.cert": cert, "tls.key": readFileSync(`${dir}/k.pem`, "utf8") };
  rmSync(dir, { recursive: true, force: true });
});

const valid = () => ({ serverName: "edge-a", transport: "tls", address: "127.0.0.1", port: "1", labelLines: "zone=a", ...tls });

describe("Settings → Servers actions", () => {
  it("without a session or as a viewer every action is refused before the form is read; nothing is created", async () => {
    session.current = null;
    expect(await createServerAction(null, form(valid()))).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    session.current = { user: { id: viewerId, sv: 0 } };
    const poisoned = form({ ...valid(), "constructor.prototype.pwn": "yes" });
    expect(await createServerAction(null, poisoned)).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await updateServerAction("x", "tls", null, poisoned)).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await deleteServerAction("x")).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await testServerAction("local")).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await listNodesAction("x")).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await updateNodeAction("x", "n", { availability: "drain" })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await db.server.count()).toBe(0);
    expect(await db.auditEvent.count({ where: { action: "server.create", result: "denied" } })).toBeGreaterThan(0);
  });

  it("an admin's bad input is refused naming the API's field, without the key in the typed values", async () => {
    session.current = { user: { id: adminId, sv: 0 } };
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...valid(), address: "not an address!" }, "address"],
      [{ ...valid(), serverName: "Bad Name" }, "name"],
      [{ ...valid(), labelLines: "zone" }, "labels"],
      [{ ...valid(), "tls.key": "" }, "tls.key"],
      [{ ...valid(), "tls.ca": "", "tls.cert": "", "tls.key": "" }, "tls"],
    ];
    for (const [entries, field] of cases) {
      const res = await createServerAction(null, form(entries));
      expect(res.ok, field).toBe(false);
      if (res.ok) continue;
      expect(res.fieldErrors, field).toHaveProperty([field]);
      expect(Object.keys(res.typed ?? {}).filter((k) => k.startsWith("tls."))).toEqual([]);
    }
    expect(await db.server.count()).toBe(0);
  });

  it("an admin adds, tests (down at once: nothing listens on port 1), edits labels, is refused a new address without credentials, and cannot delete a server with instances", async () => {
    session.current = { user: { id: adminId, sv: 0 } };
    const added = await createServerAction(null, form(valid()));
    expect(added).toMatchObject({ ok: true, message: "Server added.", data: { name: "edge-a" } });
    const id = added.ok ? added.data.id : "";
    const started = Date.now();
    const tested = await testServerAction(id);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(tested).toMatchObject({ ok: true, data: { ok: false, message: expect.stringMatching(/^edge-a: .*ECONNREFUSED/) } });
    expect(await db.server.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "down", lastError: expect.stringContaining("ECONNREFUSED") });

    expect(await updateServerAction(id, "tls", null, form({ serverName: "edge-a", address: "127.0.0.1", port: "1", upstreamAddress: "", labelLines: "zone=b\nrole=db", "tls.ca": "", "tls.cert": "", "tls.key": "" }))).toMatchObject({ ok: true });
    expect(JSON.parse((await db.server.findUniqueOrThrow({ where: { id } })).labels)).toEqual({ zone: "b", role: "db" });

    const moved = await updateServerAction(id, "tls", null, form({ serverName: "edge-a", address: "127.0.0.2", port: "1", labelLines: "zone=b" }));
    expect(moved).toMatchObject({ ok: false, fieldErrors: { tls: expect.stringContaining("enter them again for 127.0.0.2:1") } });
    expect((await db.server.findUniqueOrThrow({ where: { id } })).address).toBe("127.0.0.1");

    await db.instance.create({ data: { name: "on-edge-a", image: "busybox:latest", subdomain: "on-edge-a", port: 80, serverId: id, status: "stopped" } });
    expect(await deleteServerAction(id)).toMatchObject({ ok: false, code: "CONFLICT", error: expect.stringContaining("on-edge-a") });
    await db.instance.delete({ where: { name: "on-edge-a" } });
    expect(await deleteServerAction(id)).toMatchObject({ ok: true, message: "Server deleted." });
    expect(await db.server.count()).toBe(0);
    expect(JSON.stringify(await db.auditEvent.findMany())).not.toContain("PRIVATE KEY");
  });
});
