import { db } from "../db";
import { AppError } from "../errors";
import { recordEvent, type Actor, type Role } from "../audit/record-event";
import { parseInput } from "../validation";
import { hashPassword } from "./password";
import { ZCreateUserSchema, ZRoleSchema, ZSetupSchema } from "./schemas";

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
  await db.user.create({ data: { email: normalized, role: "admin", passwordHash: await hashPassword(password) } });
  await recordEvent({ actor: { kind: "system", label: "startup", role: "admin" }, action: "user.bootstrap", target: normalized, result: "ok" });
  return true;
}

export async function listUsers() {
  return db.user.findMany({ orderBy: { createdAt: "asc" }, select: { id: true, email: true, name: true, role: true, createdAt: true } });
}

export async function setUserRole(opts: { actor: Actor; id: string; role: unknown }) {
  const role = parseInput(ZRoleSchema, opts.role) as Role;
  const user = await db.user.findUnique({ where: { id: opts.id } });
  if (!user) throw new AppError("NOT_FOUND", `user ${opts.id} not found`);
  if (user.role === "admin" && role !== "admin" && (await db.user.count({ where: { role: "admin" } })) <= 1) {
    throw new AppError("CONFLICT", "role: the last admin cannot be demoted", { field: "role" });
  }
  await db.user.update({ where: { id: user.id }, data: { role } });
  await recordEvent({ actor: opts.actor, action: "user.role", target: `${user.email} → ${role}`, result: "ok" });
}

export async function deleteUser(opts: { actor: Actor; id: string }) {
  const user = await db.user.findUnique({ where: { id: opts.id } });
  if (!user) throw new AppError("NOT_FOUND", `user ${opts.id} not found`);
  if (opts.actor.kind === "user" && opts.actor.id === user.id) throw new AppError("CONFLICT", "you cannot delete your own account");
  if (user.role === "admin" && (await db.user.count({ where: { role: "admin" } })) <= 1) throw new AppError("CONFLICT", "the last admin cannot be deleted");
  await db.user.delete({ where: { id: user.id } });
  await recordEvent({ actor: opts.actor, action: "user.delete", target: user.email, result: "ok" });
}
