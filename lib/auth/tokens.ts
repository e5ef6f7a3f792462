import { createHash, randomBytes } from "node:crypto";
import { containsText, db } from "../db";
import { AppError } from "../errors";
import { recordEvent, type Actor, type Role } from "../audit/record-event";
import { parseInput } from "../validation";
import { enumParam, mapPage, paginate, parseListQuery, textParam, type TSortSpec } from "../pagination";
import { ZCreateTokenSchema } from "./schemas";

// API tokens: `wharf_<43 chars>`, shown once, stored as sha256 (a random
// 256-bit secret needs no slow hash), revocable.
export const TOKEN_PREFIX = "wharf_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createApiToken(opts: { actor: Actor; body: unknown; userId?: string | null }) {
  const input = parseInput(ZCreateTokenSchema, opts.body);
  if (input.role === "admin" && opts.actor.role !== "admin") throw new AppError("FORBIDDEN", "only an admin can create an admin token");
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  // A token made with another token belongs to that token's owner: it can never outlive or outrank them.
  const ownerId = opts.userId ?? (opts.actor.kind === "user" ? opts.actor.id : opts.actor.kind === "token" ? (opts.actor.ownerId ?? null) : null);
  // A token without a live owner would be refused at once (issue 21): it is never made.
  if (!ownerId) throw new AppError("VALIDATION", "owner: a token belongs to a user; create it signed in, or with the CLI's --owner <email>", { field: "owner" });
  const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
  const row = await db.apiToken.create({
    data: { name: input.name, role: input.role, tokenHash: hashToken(token), prefix: token.slice(0, 12), userId: ownerId, expiresAt },
  });
  await recordEvent({ actor: opts.actor, action: "token.create", target: `${row.name} (${row.prefix}…)`, result: "ok" });
  return { id: row.id, name: row.name, role: row.role, prefix: row.prefix, token, createdAt: row.createdAt, expiresAt: row.expiresAt };
}

const TOKEN_SORTS = { createdAt: { field: "createdAt", type: "date" }, name: { field: "name", type: "string" } } satisfies Record<string, TSortSpec>;

/** One page of live tokens, newest first (GET /api/tokens): `limit`, `cursor`, `sort` (createdAt|name), `dir`, `role`, `q` (name). */
export async function listApiTokens(opts: { params?: URLSearchParams; defaultLimit?: number } = {}) {
  const params = opts.params ?? new URLSearchParams();
  const query = parseListQuery(params, { sorts: ["createdAt", "name"], defaultSort: "createdAt", defaultDir: "desc", defaultLimit: opts.defaultLimit });
  const role = enumParam(params, "role", ["admin", "viewer", "metrics"] as const);
  const q = textParam(params);
  // Deploy tokens (scope set) are listed on their instance's page instead.
  const where = { revokedAt: null, scope: null, ...(role ? { role } : {}), ...(q ? { name: containsText(q) } : {}) };
  const page = await paginate({
    query, sorts: TOKEN_SORTS, where,
    findMany: (a) => db.apiToken.findMany({ ...a, include: { user: { select: { id: true, email: true, role: true } } } }),
    count: (a) => db.apiToken.count(a),
  });
  const now = Date.now();
  return mapPage(page, (r) => ({
    id: r.id,
    name: r.name,
    role: r.role,
    // What the token can do now: at most its owner's current role.
    effectiveRole: r.role === "metrics" || !r.user ? r.role : cappedRole(r.role as Role, r.user.role as Role),
    prefix: r.prefix,
    createdBy: r.user?.email ?? null,
    owner: r.user ? { id: r.user.id, email: r.user.email } : null,
    lastUsedAt: r.lastUsedAt,
    expiresAt: r.expiresAt,
    expired: r.expiresAt !== null && r.expiresAt.getTime() <= now,
    createdAt: r.createdAt,
  }));
}

/** The lower of two roles. */
export function cappedRole(a: Role, b: Role): Role {
  return a === "admin" && b === "admin" ? "admin" : "viewer";
}

export async function revokeApiToken(opts: { actor: Actor; id: string }) {
  const row = await db.apiToken.findUnique({ where: { id: opts.id } });
  if (!row || row.revokedAt) throw new AppError("NOT_FOUND", `token ${opts.id} not found`);
  await db.apiToken.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
  await recordEvent({ actor: opts.actor, action: "token.revoke", target: `${row.name} (${row.prefix}…)`, result: "ok" });
}

/**
 * The actor behind a bearer token, or null when the token is unknown,
 * revoked, expired or its owner is gone. The one place a bearer token is
 * verified: other kinds of token (e.g. per-instance deploy tokens) extend it.
 *
 * A token acts with at most its owner's *current* role, re-read on every
 * request, so a demoted admin's admin token acts as a viewer. Deleting a user
 * revokes their tokens in the same transaction (users.ts); a token with no
 * owner was made by the CLI, i.e. by someone with a shell on Wharf's data.
 */
export async function actorFromToken(token: string, opts: { metrics?: boolean } = {}): Promise<Actor | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: { select: { id: true, role: true } } } });
  if (!row || row.revokedAt) return null;
  // Ownerless tokens (made before owners were enforced) are refused; the upgrade revoked them.
  if (!row.user) return null;
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return null;
  // A metrics token opens the metrics endpoint only, which asks with opts.metrics (issue 29).
  if (row.role === "metrics" && !opts.metrics) return null;
  // lastUsedAt is informational: update at most once a minute to keep reads cheap.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  const own: Role = row.role === "metrics" ? "viewer" : (row.role as Role);
  const role = cappedRole(own, row.user.role as Role);
  return { kind: "token", id: row.id, label: `token:${row.name}`, role, ownerId: row.user.id, ...(row.scope ? { scope: row.scope } : {}) };
}
