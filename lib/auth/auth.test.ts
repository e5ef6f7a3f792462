import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR, type Actor } from "../audit/record-event";
import { actorFromToken, createApiToken, hashToken, revokeApiToken } from "./tokens";
import { bootstrapAdminFromEnv, createFirstAdmin, createUser, deleteUser, setUserRole } from "./users";
import { verifyLogin } from "./verify-login";
import { THROTTLE } from "./throttle";

describe("users and login", () => {
  it("creates the first admin only once", async () => {
    await createFirstAdmin({ email: "Owner@Example.com", password: "correct horse" });
    await expect(createFirstAdmin({ email: "second@example.com", password: "correct horse" })).rejects.toThrow(/already done/);
    const u = await db.user.findUniqueOrThrow({ where: { email: "owner@example.com" } });
    expect(u.role).toBe("admin");
    expect(u.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("signs in with the right password and refuses a wrong one", async () => {
    await expect(verifyLogin({ email: "owner@example.com", password: "correct horse", address: "198.51.100.1" })).resolves.toMatchObject({ role: "admin" });
    await expect(verifyLogin({ email: "owner@example.com", password: "wrong", address: "198.51.100.1" })).rejects.toThrow(/Invalid e-mail or password/);
    await expect(verifyLogin({ email: "nobody@example.com", password: "wrong", address: "198.51.100.1" })).rejects.toThrow(/Invalid e-mail or password/);
  });

  it("locks an e-mail after repeated failures, even for the right password", async () => {
    await createUser({ actor: SYSTEM_ACTOR, body: { email: "victim@example.com", password: "right password", role: "viewer" } });
    for (let i = 0; i < THROTTLE.maxPerEmail; i++) {
      await expect(verifyLogin({ email: "victim@example.com", password: "guess" + i, address: null })).rejects.toThrow(/Invalid/);
    }
    await expect(verifyLogin({ email: "victim@example.com", password: "right password", address: null })).rejects.toThrow(/Too many failed sign-in attempts/);
  });

  it("bootstraps an admin from the environment without overwriting", async () => {
    expect(await bootstrapAdminFromEnv("ops@example.com", "bootstrap-pass")).toBe(true);
    expect(await bootstrapAdminFromEnv("ops@example.com", "other-pass")).toBe(false);
    await expect(verifyLogin({ email: "ops@example.com", password: "bootstrap-pass", address: null })).resolves.toMatchObject({ role: "admin" });
  });

  it("never demotes or deletes the last admin", async () => {
    const admins = await db.user.findMany({ where: { role: "admin" } });
    for (const a of admins.slice(1)) await db.user.update({ where: { id: a.id }, data: { role: "viewer" } });
    await expect(setUserRole({ actor: SYSTEM_ACTOR, id: admins[0].id, role: "viewer" })).rejects.toThrow(/last admin/);
    await expect(deleteUser({ actor: SYSTEM_ACTOR, id: admins[0].id })).rejects.toThrow(/last admin/);
  });
});

describe("API tokens", () => {
  const admin: Actor = { kind: "user", label: "owner@example.com", role: "admin" };
  beforeAll(async () => {
    admin.id = (await createUser({ actor: SYSTEM_ACTOR, body: { email: "token-owner@example.com", password: "owner password 1", role: "admin" } })).id;
  });

  it("stores only a hash, authenticates with the secret and stops after revocation", async () => {
    const t = await createApiToken({ actor: admin, body: { name: "ci", role: "viewer" } });
    expect(t.token).toMatch(/^wharf_[A-Za-z0-9_-]{43}$/);
    const row = await db.apiToken.findUniqueOrThrow({ where: { id: t.id } });
    expect(row.tokenHash).toBe(hashToken(t.token));
    expect(JSON.stringify(row)).not.toContain(t.token);
    expect(await actorFromToken(t.token)).toMatchObject({ kind: "token", role: "viewer" });
    expect(await actorFromToken(t.token + "x")).toBeNull();
    await revokeApiToken({ actor: admin, id: t.id });
    expect(await actorFromToken(t.token)).toBeNull();
  });

  it("validates the body and names the field", async () => {
    await expect(createApiToken({ actor: admin, body: { name: "", role: "viewer" } })).rejects.toMatchObject({ code: "VALIDATION", field: "name" });
    await expect(createApiToken({ actor: admin, body: { name: "x", role: "root" } })).rejects.toMatchObject({ code: "VALIDATION", field: "role" });
  });
});
