import { containsText, db, serializedTx } from "../db";
import { assertRole } from "./assert-role";
import { AppError } from "../errors";
import { recordEvent, type Actor, type Role } from "../audit/record-event";
import { parseInput } from "../validation";
import { hashPassword, verifyPassword } from "./password";
import { ZCreateUserSchema, ZRoleSchema, ZSetupSchema, ZUpdateUserSchema } from "./schemas";
import { enumParam, paginate, parseListQuery, textParam, type TSortSpec } from "../pagination";

export async function countUsers(): Promise<number> {
  return db.user.count();
}

export async function createUser(opts: { actor: Actor; body: unknown }) {
  const input = parseInput(ZCreateUserSchema, opts.body);
  if (await db.user.findUnique({ where: { email: input.email } })) {
    throw new AppError("CONFLICT", `email: a user with e-mail ${input.email} already exists`, { field: "email" });
  }
  const user = await db.user.create({ data: { email: input.email, name: input.name, role: input.role, passwordHash: await hashPassword(input.password) } });
  await recordEvent({ actor: opts.actor, action: "user.create", target: `${user.email} (${user.role})`, result: "ok" });
  return { id: user.id, email: user.email, role: user.role };
}

/** The one-time /setup: creates the first admin only while no user exists. */
export async function createFirstAdmin(body: unknown) {
  const input = parseInput(ZSetupSchema, body);
  const passwordHash = await hashPassword(input.password);
  // Count and insert in one transaction so two racing setups cannot both win.
  const user = await db.$transaction(async (tx) => {
    if ((await tx.user.count()) > 0) throw new AppError("CONFLICT", "setup is already done: sign in instead");
    return tx.user.create({ data: { email: input.email, name: input.name, role: "admin", passwordHash } });
  });
  await recordEvent({ actor: { kind: "user", id: user.id, label: user.email, role: "admin" }, action: "user.setup", target: user.email, result: "ok" });
  return { id: user.id, email: user.email };
}

/** First admin from WHARF_ADMIN_EMAIL / WHARF_ADMIN_PASSWORD at start-up; never overwrites an existing user. */
export async function bootstrapAdminFromEnv(email: string | undefined, password: string | undefined): Promise<boolean> {
  if (!email || !password) return false;
  const normalized = email.trim().toLowerCase();
  if (await db.user.findUnique({ where: { email: normalized } })) return false;
  try {
    await db.user.create({ data: { email: normalized, role: "admin", passwordHash: await hashPassword(password) } });
  } catch (err) {
    // Replicas starting together with the same WHARF_ADMIN_EMAIL: another one created the admin first.
    if ((err as { code?: string }).code === "P2002") return false;
    throw err;
  }
  await recordEvent({ actor: { kind: "system", label: "startup", role: "admin" }, action: "user.bootstrap", target: normalized, result: "ok" });
  return true;
}

export async function getUser(id: string) {
  return db.user.findUnique({ where: { id }, select: { id: true, email: true, role: true, sessionVersion: true } });
}

const USER_SORTS = { createdAt: { field: "createdAt", type: "date" }, email: { field: "email", type: "string" } } satisfies Record<string, TSortSpec>;

/** One page of users, oldest first (GET /api/users): `limit`, `cursor`, `sort` (createdAt|email), `dir`, `role`, `q` (e-mail or name). */
export async function listUsers(opts: { params?: URLSearchParams; defaultLimit?: number } = {}) {
  const params = opts.params ?? new URLSearchParams();
  const query = parseListQuery(params, { sorts: ["createdAt", "email"], defaultSort: "createdAt", defaultLimit: opts.defaultLimit });
  const role = enumParam(params, "role", ["admin", "viewer"] as const);
  const q = textParam(params);
  const where = { ...(role ? { role } : {}), ...(q ? { OR: [{ email: containsText(q) }, { name: containsText(q) }] } : {}) };
  return paginate({
    query, sorts: USER_SORTS, where,
    findMany: (a) => db.user.findMany({ ...a, select: { id: true, email: true, name: true, role: true, createdAt: true } }),
    count: (a) => db.user.count(a),
  });
}

export async function setUserRole(opts: { actor: Actor; id: string; role: unknown }) {
  const role = parseInput(ZRoleSchema, opts.role) as Role;
  const user = await db.user.findUnique({ where: { id: opts.id } });
  if (!user) throw new AppError("NOT_FOUND", `user ${opts.id} not found`);
  if (user.role === role) return;
  // One conditional statement: two admins demoting each other at once cannot
  // both pass a "more than one admin" check made before either write (on
  // PostgreSQL with the "admins" lock: READ COMMITTED would let both count two).
  const changed = await serializedTx(
    "wharf:admins",
    (tx) => tx.$executeRaw`
    UPDATE "User" SET "role" = ${role}, "sessionVersion" = "sessionVersion" + 1, "updatedAt" = ${new Date()}
    WHERE "id" = ${user.id} AND (${role} = 'admin' OR (SELECT COUNT(*) FROM "User" WHERE "role" = 'admin' AND "id" <> ${user.id}) > 0)`,
  );
  if (changed === 0) throw new AppError("CONFLICT", "role: the last admin cannot be demoted", { field: "role" });
  await recordEvent({ actor: opts.actor, action: "user.role", target: `${user.email} → ${role}`, result: "ok" });
}

export async function deleteUser(opts: { actor: Actor; id: string }) {
  const user = await db.user.findUnique({ where: { id: opts.id } });
  if (!user) throw new AppError("NOT_FOUND", `user ${opts.id} not found`);
  if (actingUserId(opts.actor) === user.id) throw new AppError("CONFLICT", "you cannot delete your own account");
  // The user's tokens die with them (revoked, kept for the record) in the same
  // transaction as the conditional delete that protects the last admin.
  const lastAdmin = new AppError("CONFLICT", "the last admin cannot be deleted");
  await serializedTx("wharf:admins", async (tx) => {
    await tx.apiToken.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: new Date() } });
    const n = await tx.$executeRaw`
      DELETE FROM "User" WHERE "id" = ${user.id} AND ("role" <> 'admin' OR (SELECT COUNT(*) FROM "User" WHERE "role" = 'admin' AND "id" <> ${user.id}) > 0)`;
    if (n === 0) throw lastAdmin; // rolls the revocation back
  });
  await recordEvent({ actor: opts.actor, action: "user.delete", target: user.email, result: "ok" });
}

/** The user behind an actor: the user itself, or a token's owner. */
function actingUserId(actor: Actor): string | undefined {
  return actor.kind === "user" ? actor.id : actor.kind === "token" ? actor.ownerId : undefined;
}

/**
 * Sets a user's password. Changing one's own needs the current password; an
 * admin resetting someone else's does not. Either way the user's session
 * version is bumped, which ends every session signed in before (the caller
 * re-issues the current session's cookie when a user changes their own).
 * Returns the new session version.
 */
export async function setPassword(opts: { actor: Actor; id: string; password: unknown; currentPassword?: unknown }): Promise<number> {
  return applyPasswordChange(opts.actor, await preparePasswordChange(opts));
}

/** Every check of a password change, before anything is written. */
async function preparePasswordChange(opts: { actor: Actor; id: string; password: unknown; currentPassword?: unknown }) {
  const { password, currentPassword } = parseInput(ZUpdateUserSchema.pick({ password: true, currentPassword: true }).required({ password: true }), {
    password: opts.password,
    currentPassword: opts.currentPassword,
  });
  const user = await db.user.findUnique({ where: { id: opts.id } });
  if (!user) throw new AppError("NOT_FOUND", `user ${opts.id} not found`);
  const own = actingUserId(opts.actor) === user.id;
  if (own) {
    if (!currentPassword) throw new AppError("VALIDATION", "currentPassword: is required to change your own password", { field: "currentPassword" });
    if (!(await verifyPassword(user.passwordHash, currentPassword))) {
      await recordEvent({ actor: opts.actor, action: "user.password", target: user.email, result: "denied", message: "wrong current password" });
      throw new AppError("VALIDATION", "currentPassword: is not your current password", { field: "currentPassword" });
    }
  } else if (opts.actor.role !== "admin") {
    throw new AppError("FORBIDDEN", "only an admin can reset another user's password");
  }
  return { user, own, passwordHash: await hashPassword(password) };
}

async function applyPasswordChange(actor: Actor, change: Awaited<ReturnType<typeof preparePasswordChange>>): Promise<number> {
  const updated = await db.user.update({ where: { id: change.user.id }, data: { passwordHash: change.passwordHash, sessionVersion: { increment: 1 } } });
  await recordEvent({ actor, action: change.own ? "user.password" : "user.password.reset", target: change.user.email, result: "ok" });
  return updated.sessionVersion;
}

/** PATCH /api/users/{id}: role and/or password, with the UI's rules; every check runs before the first write. */
export async function updateUser(opts: { actor: Actor; id: string; body: unknown }) {
  const input = parseInput(ZUpdateUserSchema, opts.body);
  if (input.role === undefined && input.password === undefined) throw new AppError("VALIDATION", "role: send role and/or password", { field: "role" });
  // Anyone may change their own password; everything else is an admin's.
  if (input.role !== undefined || actingUserId(opts.actor) !== opts.id) await assertRole(opts.actor, "admin", "user.update");
  const change = input.password === undefined ? null : await preparePasswordChange({ actor: opts.actor, id: opts.id, password: input.password, currentPassword: input.currentPassword });
  if (input.role !== undefined) await setUserRole({ actor: opts.actor, id: opts.id, role: input.role });
  if (change) await applyPasswordChange(opts.actor, change);
  return db.user.findUniqueOrThrow({ where: { id: opts.id }, select: { id: true, email: true, name: true, role: true, createdAt: true, sessionVersion: true } });
}

/** The owner of a token made outside a session (the CLI): the user with `email`, or else the first admin. */
export async function findTokenOwner(email: string | undefined): Promise<{ id: string; email: string }> {
  const user = email
    ? await db.user.findUnique({ where: { email: email.trim().toLowerCase() }, select: { id: true, email: true } })
    : await db.user.findFirst({ where: { role: "admin" }, orderBy: { createdAt: "asc" }, select: { id: true, email: true } });
  if (!user) throw new AppError(email ? "NOT_FOUND" : "VALIDATION", email ? `owner: no user ${email}` : "owner: no admin exists yet to own the token (create a user first, or pass --owner)", { field: "owner" });
  return user;
}
