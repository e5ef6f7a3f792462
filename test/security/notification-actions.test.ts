import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

// The Settings → Notifications Edit form's server action: the session and the
// admin role are checked before the form is read, and the API's PATCH rules
// hold (a blank secret is kept while the URL is unchanged, entered again when
// it changes).

const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; sv: number } } }));
vi.mock("next-auth", async (orig) => ({ ...(await orig<typeof import("next-auth")>()), getServerSession: async () => session.current }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { db } = await import("@/lib/db");
const { createUser } = await import("@/lib/auth/users");
const { SYSTEM_ACTOR } = await import("@/lib/audit/record-event");
const { createChannel } = await import("@/lib/notifications/channels");
const { openChannel } = await import("@/lib/notifications/channel-config");
const { updateChannelAction, createChannelAction } = await import("@/app/(dashboard)/settings/notification-actions");

const form = (entries: [string, string][]) => {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
};
const stored = async (id: string) => openChannel(await db.notificationChannel.findUniqueOrThrow({ where: { id } }));

let adminId = "";
let viewerId = "";
let channelId = "";
beforeAll(async () => {
  adminId = (await createUser({ actor: SYSTEM_ACTOR, body: { email: "admin@example.com", password: "admin-password-1", role: "admin" } })).id;
  viewerId = (await createUser({ actor: SYSTEM_ACTOR, body: { email: "viewer@example.com", password: "viewer-password-1", role: "viewer" } })).id;
});
beforeEach(async () => {
  await db.notificationChannel.deleteMany();
  channelId = (await createChannel({ actor: SYSTEM_ACTOR, body: { name: "hook", type: "webhook", config: { url: "https://hooks.example.com/a", secret: "first-secret" }, events: "all" } })).id;
});

describe("updateChannelAction", () => {
  it("saves name, events and URL; a blank secret keeps the stored one while the URL is unchanged", async () => {
    session.current = { user: { id: adminId, sv: 0 } };
    const res = await updateChannelAction(channelId, null, form([["channelName", "ops-hook"], ["event", "deploy.failed"], ["event", "deploy.rolled_back"], ["config.url", "https://hooks.example.com/a"], ["config.secret", ""]]));
    expect(res).toMatchObject({ ok: true, message: "Channel saved." });
    expect(await stored(channelId)).toMatchObject({ name: "ops-hook", events: ["deploy.failed", "deploy.rolled_back"], config: { url: "https://hooks.example.com/a", secret: "first-secret" } });
  });

  it("a new URL with the secret blank is refused on the secret field; with a new secret it is saved", async () => {
    session.current = { user: { id: adminId, sv: 0 } };
    const refused = await updateChannelAction(channelId, null, form([["channelName", "hook"], ["eventsAll", "on"], ["config.url", "https://elsewhere.example.com/b"]]));
    expect(refused).toMatchObject({ ok: false, code: "VALIDATION", fieldErrors: { "config.secret": expect.stringContaining("enter it again") } });
    // The refused form carries back what was typed, but never a URL field: for Slack and Discord the URL is the credential.
    expect(refused.ok ? null : refused.typed).toEqual({ channelName: "hook", eventsAll: "on" });
    expect((await stored(channelId)).config).toEqual({ url: "https://hooks.example.com/a", secret: "first-secret" });

    const saved = await updateChannelAction(channelId, null, form([["channelName", "hook"], ["eventsAll", "on"], ["config.url", "https://elsewhere.example.com/b"], ["config.secret", "second-secret"]]));
    expect(saved).toMatchObject({ ok: true });
    expect((await stored(channelId)).config).toEqual({ url: "https://elsewhere.example.com/b", secret: "second-secret" });
    const sealed = await db.notificationChannel.findUniqueOrThrow({ where: { id: channelId } });
    expect(sealed.config).not.toContain("second-secret");
  });

  it("checks the session and the admin role before reading the form: a viewer's poisoned form is 'forbidden', not parsed", async () => {
    const poisoned = form([["channelName", "pwned"], ["config.url", "https://evil.example.com/"], ["config.secret", "evil-secret-1"], ["constructor.prototype.pwn", "yes"]]);
    session.current = null;
    expect(await updateChannelAction(channelId, null, poisoned)).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    expect(await createChannelAction(null, poisoned)).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    session.current = { user: { id: viewerId, sv: 0 } };
    expect(await updateChannelAction(channelId, null, poisoned)).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await createChannelAction(null, poisoned)).toMatchObject({ ok: false, code: "FORBIDDEN" });
    // An admin's poisoned form is refused naming the field; nothing is polluted or saved.
    session.current = { user: { id: adminId, sv: 0 } };
    expect(await updateChannelAction(channelId, null, poisoned)).toMatchObject({ ok: false, code: "VALIDATION", error: expect.stringContaining("constructor.prototype.pwn") });
    expect(await createChannelAction(null, poisoned)).toMatchObject({ ok: false, code: "VALIDATION", error: expect.stringContaining("constructor.prototype.pwn") });
    expect(Object.prototype).not.toHaveProperty("pwn");
    expect(await stored(channelId)).toMatchObject({ name: "hook", config: { url: "https://hooks.example.com/a", secret: "first-secret" } });
    expect(await db.notificationChannel.count()).toBe(1);
  });
});
