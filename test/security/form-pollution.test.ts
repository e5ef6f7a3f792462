import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";

// Issue 21: every server action of the UI, submitted with fields named to
// reach Object.prototype, as a viewer and as an admin. Afterwards nothing is
// polluted and the server still answers (/api/health 200, Prisma queries work).

const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; sv: number } } }));
vi.mock("next-auth", async (orig) => ({ ...(await orig<typeof import("next-auth")>()), getServerSession: async () => session.current }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));
vi.mock("next/headers", () => ({ cookies: async () => ({ get: () => undefined, set: () => undefined }) }));
vi.mock("next/navigation", () => ({
  redirect: (to: string) => {
    throw new Error(`redirect ${to}`);
  },
}));

const { db } = await import("@/lib/db");
const { createUser } = await import("@/lib/auth/users");
const { SYSTEM_ACTOR } = await import("@/lib/audit/record-event");
const modules = {
  root: await import("@/app/(dashboard)/actions"),
  settings: await import("@/app/(dashboard)/settings/actions"),
  notifications: await import("@/app/(dashboard)/settings/notification-actions"),
  servers: await import("@/app/(dashboard)/settings/servers-actions"),
  instances: await import("@/app/(dashboard)/instances/actions"),
  updates: await import("@/app/(dashboard)/instances/update-actions"),
  proxies: await import("@/app/(dashboard)/proxies/actions"),
  dns: await import("@/app/(dashboard)/dns/actions"),
  setup: await import("@/app/(auth)/setup/actions"),
};
const health = await import("@/app/api/health/route");

const POISON = ["constructor.prototype.pwn", "__proto__.pwn", "dns.constructor.prototype.pwn", "proxy.__proto__.pwn", "registries.0.__proto__", "tls.prototype.pwn", "limits.constructor.prototype.pwn"];

/** A form as the UI sends it (the fields every form uses) plus the poisoned names. */
function poisoned(extra: Record<string, string> = {}): FormData {
  const f = new FormData();
  const base: Record<string, string> = {
    id: "x",
    op: "stop",
    kind: "route",
    name: "n",
    email: "mallory@example.com",
    password: "a-long-password-1",
    role: "admin",
    "dns.provider.type": "powerdns",
    "dns.ttl": "60",
    "proxy.provider.type": "caddy",
    "proxy.upstream.mode": "host",
    "tls.mode": "off",
    baseDomain: "example.test",
    mounts: "/data",
    ...extra,
  };
  for (const [k, v] of Object.entries(base)) f.append(k, v);
  for (const k of POISON) f.append(k, "yes");
  return f;
}

type AnyAction = (...args: unknown[]) => Promise<unknown>;
/** How each action is called by its form or button; a new action without an entry fails the test. */
const CALLS: Record<string, (fn: AnyAction) => Promise<unknown>> = {
  testConnectionAction: (fn) => fn("dns", poisoned()),
  listZonesAction: (fn) => fn(poisoned()),
  testRegistryAction: (fn) => fn(0, poisoned({ "registries.0.host": "127.0.0.1:1" })),
  deleteDnsRecordAction: (fn) => fn("constructor.prototype.pwn"),
  syncAction: (fn) => fn({ dryRun: true, "__proto__": { pwn: "yes" } }),
  setAutoUpdateAction: (fn) => fn(null, poisoned({ autoUpdate: "on" })),
  setChannelEnabledAction: (fn) => fn("x", true),
  deleteChannelAction: (fn) => fn("x"),
  testChannelAction: (fn) => fn("x"),
  updateChannelAction: (fn) => fn("x", null, poisoned()),
  updateServerAction: (fn) => fn("x", "tls", null, poisoned()),
  deleteServerAction: (fn) => fn("x"),
  testServerAction: (fn) => fn("x"),
};

async function submitAll(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const [mod, exports] of Object.entries(modules)) {
    for (const [name, fn] of Object.entries(exports)) {
      if (typeof fn !== "function") continue;
      const call = CALLS[name] ?? ((f: AnyAction) => f(null, poisoned()));
      results[`${mod}.${name}`] = await call(fn as AnyAction).catch((err: Error) => ({ thrown: err.message }));
    }
  }
  return results;
}

async function expectServerHealthy() {
  expect(Object.prototype).not.toHaveProperty("pwn");
  expect(({} as Record<string, unknown>).pwn).toBeUndefined();
  const res = await health.GET(new Request("http://127.0.0.1/api/health"));
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ db: "ok" });
  // The symptom of the original bug: every Prisma query failed on an unknown argument.
  expect(await db.user.count()).toBeGreaterThan(0);
  await expect(db.auditEvent.findMany({ take: 1 })).resolves.toBeInstanceOf(Array);
}

let viewerId = "";
let adminId = "";
beforeAll(async () => {
  adminId = (await createUser({ actor: SYSTEM_ACTOR, body: { email: "admin@example.com", password: "admin-password-1", role: "admin" } })).id;
  viewerId = (await createUser({ actor: SYSTEM_ACTOR, body: { email: "viewer@example.com", password: "viewer-password-1", role: "viewer" } })).id;
});
afterEach(() => {
  // A failing run must not leave the rest of the file polluted.
  delete (Object.prototype as Record<string, unknown>).pwn;
});

describe("every UI form with prototype-reaching field names", () => {
  it("without a session: every admin action is refused before parsing, nothing is polluted", async () => {
    session.current = null;
    const results = await submitAll();
    for (const [name, r] of Object.entries(results)) {
      if (name.startsWith("setup.")) continue;
      expect(r, name).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    }
    await expectServerHealthy();
  });

  it("as a viewer: every admin action is 'forbidden', the viewer's own action refuses the field; the server still answers", async () => {
    session.current = { user: { id: viewerId, sv: 0 } };
    const results = await submitAll();
    for (const [name, r] of Object.entries(results)) {
      if (name.startsWith("setup.")) expect(r, name).toMatchObject({ ok: false });
      else if (name === "settings.changeOwnPasswordAction") expect(r, name).toMatchObject({ ok: false, code: "VALIDATION" });
      else expect(r, name).toMatchObject({ ok: false, code: "FORBIDDEN" });
    }
    await expectServerHealthy();
  });

  it("as an admin: the forms that nest dotted names answer 400 naming the field; the server still answers", async () => {
    session.current = { user: { id: adminId, sv: 0 } };
    const results = await submitAll();
    for (const name of ["settings.saveGeneralAction", "settings.saveDnsAction", "settings.saveProxyAction", "settings.testConnectionAction", "settings.listZonesAction", "notifications.createChannelAction", "notifications.updateChannelAction", "servers.createServerAction", "servers.updateServerAction"]) {
      expect(results[name], name).toMatchObject({ ok: false, code: "VALIDATION", error: expect.stringMatching(/(constructor\.prototype\.pwn|__proto__\.pwn|prototype).*field names may not contain/) });
    }
    for (const [name, r] of Object.entries(results)) expect(r, name).not.toHaveProperty("thrown");
    await expectServerHealthy();
  });
});
