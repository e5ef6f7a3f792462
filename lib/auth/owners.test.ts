import { describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR, type Actor } from "../audit/record-event";
import { actorFromToken, createApiToken, listApiTokens } from "./tokens";
import { createUser, deleteUser, setPassword, setUserRole, updateUser } from "./users";
import { verifyLogin } from "./verify-login";

async function user(email: string, role: "admin" | "viewer", password = "the-password"): Promise<Actor> {
  const u = await createUser({ actor: SYSTEM_ACTOR, body: { email, password, role } });
  return { kind: "user", id: u.id, label: u.email, role };
}

describe("tokens belong to a live user", () => {
  it("a deleted user's token stops working at once, and stays revoked", async () => {
    const alice = await user("alice@example.com", "admin");
    await user("keeper@example.com", "admin");
    const t = await createApiToken({ actor: alice, body: { name: "alice-ci", role: "admin" } });
    expect(await actorFromToken(t.token)).toMatchObject({ role: "admin", ownerId: alice.id });
    await deleteUser({ actor: SYSTEM_ACTOR, id: alice.id! });
    expect(await actorFromToken(t.token)).toBeNull();
    expect((await db.apiToken.findUniqueOrThrow({ where: { id: t.id } })).revokedAt).not.toBeNull();
  });

  it("a demoted admin's admin token acts as a viewer, and as an admin again after re-promotion", async () => {
    const bob = await user("bob@example.com", "admin");
    const t = await createApiToken({ actor: bob, body: { name: "bob-ci", role: "admin" } });
    await setUserRole({ actor: SYSTEM_ACTOR, id: bob.id!, role: "viewer" });
    expect(await actorFromToken(t.token)).toMatchObject({ role: "viewer" });
    expect((await listApiTokens()).items.find((x) => x.id === t.id)).toMatchObject({ role: "admin", effectiveRole: "viewer", owner: { email: "bob@example.com" } });
    await setUserRole({ actor: SYSTEM_ACTOR, id: bob.id!, role: "admin" });
    expect(await actorFromToken(t.token)).toMatchObject({ role: "admin" });
  });

  it("a token made with a token belongs to the same owner", async () => {
    const carol = await user("carol@example.com", "admin");
    const first = await createApiToken({ actor: carol, body: { name: "first", role: "admin" } });
    const viaToken = (await actorFromToken(first.token))!;
    const second = await createApiToken({ actor: viaToken, body: { name: "second", role: "admin" } });
    expect((await db.apiToken.findUniqueOrThrow({ where: { id: second.id } })).userId).toBe(carol.id);
  });

  it("expires after expiresInDays and lists owner, last use and expiry", async () => {
    const dave = await user("dave@example.com", "admin");
    const t = await createApiToken({ actor: dave, body: { name: "short", role: "viewer", expiresInDays: 7 } });
    expect(t.expiresAt!.getTime() - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(await actorFromToken(t.token)).toMatchObject({ role: "viewer" });
    const listed = (await listApiTokens()).items.find((x) => x.id === t.id)!;
    expect(listed).toMatchObject({ owner: { id: dave.id, email: "dave@example.com" }, expired: false });
    expect(listed.lastUsedAt).not.toBeNull();
    await db.apiToken.update({ where: { id: t.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await actorFromToken(t.token)).toBeNull();
    expect((await listApiTokens()).items.find((x) => x.id === t.id)).toMatchObject({ expired: true });
    for (const bad of [0, 1.5, "7", 5000]) {
      await expect(createApiToken({ actor: dave, body: { name: "x", expiresInDays: bad } })).rejects.toMatchObject({ code: "VALIDATION", field: "expiresInDays" });
    }
  });
});

describe("users: the UI's rules in the API", () => {
  it("two admins demoting each other at once leave one admin", async () => {
    await db.apiToken.deleteMany();
    await db.user.deleteMany();
    const a = await user("a@example.com", "admin");
    const b = await user("b@example.com", "admin");
    const results = await Promise.allSettled([setUserRole({ actor: b, id: a.id!, role: "viewer" }), setUserRole({ actor: a, id: b.id!, role: "viewer" })]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "CONFLICT", field: "role" } });
    expect(await db.user.count({ where: { role: "admin" } })).toBe(1);
  });

  it("refuses deleting your own account (also through your token) and the last admin", async () => {
    const [admin] = await db.user.findMany({ where: { role: "admin" } });
    const me: Actor = { kind: "user", id: admin.id, label: admin.email, role: "admin" };
    await expect(deleteUser({ actor: me, id: admin.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/own account/) });
    const t = await createApiToken({ actor: me, body: { name: "mine", role: "admin" } });
    await expect(deleteUser({ actor: (await actorFromToken(t.token))!, id: admin.id })).rejects.toMatchObject({ message: expect.stringMatching(/own account/) });
    await expect(deleteUser({ actor: SYSTEM_ACTOR, id: admin.id })).rejects.toMatchObject({ message: expect.stringMatching(/last admin/) });
    expect(await actorFromToken(t.token)).not.toBeNull(); // the refused delete revoked nothing
  });

  it("a viewer may change only their own password, and a refused role change writes nothing", async () => {
    const [admin] = await db.user.findMany({ where: { role: "admin" } });
    const me: Actor = { kind: "user", id: admin.id, label: admin.email, role: "admin" };
    const v = await user("v@example.com", "viewer", "viewer-password");
    await expect(updateUser({ actor: v, id: v.id!, body: { role: "admin" } })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(updateUser({ actor: v, id: admin.id, body: { password: "taken-over!" } })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await updateUser({ actor: v, id: v.id!, body: { password: "new-viewer-password", currentPassword: "viewer-password" } });
    await expect(verifyLogin({ email: "v@example.com", password: "new-viewer-password", address: null })).resolves.toMatchObject({ id: v.id });
    // Last admin demoting themself with a new password: refused whole, the password stays.
    const before = (await db.user.findUniqueOrThrow({ where: { id: admin.id } })).passwordHash;
    await expect(updateUser({ actor: me, id: admin.id, body: { role: "viewer", password: "another-password", currentPassword: "the-password" } })).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await db.user.findUniqueOrThrow({ where: { id: admin.id } })).passwordHash).toBe(before);
  });
});

describe("passwords and session versions", () => {
  it("own change needs the current password; each change, reset and role change bumps the session version", async () => {
    const erin = await user("erin@example.com", "viewer", "erin-password");
    const version = async () => (await db.user.findUniqueOrThrow({ where: { id: erin.id } })).sessionVersion;
    expect(await version()).toBe(0);
    await expect(setPassword({ actor: erin, id: erin.id!, password: "erin-new-password" })).rejects.toMatchObject({ code: "VALIDATION", field: "currentPassword" });
    await expect(setPassword({ actor: erin, id: erin.id!, password: "erin-new-password", currentPassword: "wrong" })).rejects.toMatchObject({ field: "currentPassword" });
    await expect(setPassword({ actor: erin, id: erin.id!, password: "short", currentPassword: "erin-password" })).rejects.toMatchObject({ field: "password" });
    expect(await version()).toBe(0);
    expect(await setPassword({ actor: erin, id: erin.id!, password: "erin-new-password", currentPassword: "erin-password" })).toBe(1);
    await expect(verifyLogin({ email: "erin@example.com", password: "erin-password", address: null })).rejects.toThrow(/Invalid/);
    // An admin resets without the current password.
    const [admin] = await db.user.findMany({ where: { role: "admin" } });
    await setPassword({ actor: { kind: "user", id: admin.id, label: admin.email, role: "admin" }, id: erin.id!, password: "reset-by-admin" });
    expect(await version()).toBe(2);
    await setUserRole({ actor: SYSTEM_ACTOR, id: erin.id!, role: "admin" });
    expect(await version()).toBe(3);
    const login = await verifyLogin({ email: "erin@example.com", password: "reset-by-admin", address: null });
    expect(login.sessionVersion).toBe(3);
    const audit = await db.auditEvent.findMany({ where: { action: { startsWith: "user.password" } }, orderBy: { createdAt: "asc" } });
    expect(audit.map((e) => `${e.action}:${e.result}`)).toEqual(expect.arrayContaining(["user.password:denied", "user.password:ok", "user.password.reset:ok"]));
  });
});
