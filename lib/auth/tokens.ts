import { createHash, randomBytes } from "node:crypto";
import { db } from "../db";
import { AppError } from "../errors";
import { recordEvent, type Actor, type Role } from "../audit/record-event";
import { parseInput } from "../validation";
import { ZCreateTokenSchema } from "./schemas";

// API tokens: `wharf_<43 chars>`, shown once, stored as sha256 (a random
// 256-bit secret needs no slow hash), revocable.
const TOKEN_PREFIX = "wharf_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createApiToken(opts: { actor: Actor; body: unknown; userId?: string | null }) {
  const input = parseInput(ZCreateTokenSchema, opts.body);
  if (input.role === "admin" && opts.actor.role !== "admin") throw new AppError("FORBIDDEN", "only an admin can create an admin token");
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const row = await db.apiToken.create({
    data: { name: input.name, role: input.role, tokenHash: hashToken(token), prefix: token.slice(0, 12), userId: opts.userId ?? (opts.actor.kind === "user" ? opts.actor.id : null) },
  });
  await recordEvent({ actor: opts.actor, action: "token.create", target: `${row.name} (${row.prefix}…)`, result: "ok" });
  return { id: row.id, name: row.name, role: row.role, prefix: row.prefix, token, createdAt: row.createdAt };
}

export async function listApiTokens() {
  const rows = await db.apiToken.findMany({ where: { revokedAt: null }, orderBy: { createdAt: "desc" }, include: { user: { select: { email: true } } } });
  return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, prefix: r.prefix, createdBy: r.user?.email ?? null, lastUsedAt: r.lastUsedAt, createdAt: r.createdAt }));
}

export async function revokeApiToken(opts: { actor: Actor; id: string }) {
  const row = await db.apiToken.findUnique({ where: { id: opts.id } });
  if (!row || row.revokedAt) throw new AppError("NOT_FOUND", `token ${opts.id} not found`);
  await db.apiToken.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
  await recordEvent({ actor: opts.actor, action: "token.revoke", target: `${row.name} (${row.prefix}…)`, result: "ok" });
}

/** The actor behind a bearer token, or null when the token is unknown or revoked. */
export async function actorFromToken(token: string): Promise<Actor | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row || row.revokedAt) return null;
  // lastUsedAt is informational: update at most once a minute to keep reads cheap.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return { kind: "token", id: row.id, label: `token:${row.name}`, role: row.role as Role };
}
