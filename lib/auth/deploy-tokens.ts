import { randomBytes } from "node:crypto";
import { z } from "zod";
import { db } from "../db";
import { AppError } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { findInstanceOrThrow } from "../db/find-instance";
import { parseInput } from "../validation";
import { hashToken, TOKEN_PREFIX } from "./tokens";

// Deploy tokens: API tokens whose scope lets them redeploy one instance and
// nothing else, for a CI pipeline. Shown once, stored hashed, revoked with
// DELETE /api/tokens/{id} like any token.

export function deployScope(instanceId: string): string {
  return `instance:${instanceId}:redeploy`;
}

export const ZCreateDeployTokenSchema = z.object({ name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters") }).strict();

/** Throws FORBIDDEN (audited) unless the scoped actor's scope is exactly the redeploy of `instanceId`. */
export async function assertDeployScope(actor: Actor, instanceId: string | undefined, action = "request"): Promise<void> {
  if (!actor.scope) return;
  if (instanceId && actor.scope === deployScope(instanceId)) return;
  await recordEvent({ actor, action, result: "denied", message: `deploy token scope ${actor.scope}` });
  throw new AppError("FORBIDDEN", "This deploy token may only redeploy its own instance (POST /api/instances/{id}/redeploy)");
}

export async function createDeployToken(opts: { actor: Actor; instanceId: string; body: unknown }) {
  const input = parseInput(ZCreateDeployTokenSchema, opts.body);
  const instance = await findInstanceOrThrow(opts.instanceId);
  if (opts.actor.role !== "admin") throw new AppError("FORBIDDEN", "only an admin can create a deploy token");
  // Owned like any token (capped at the owner's role, revoked with the owner); a token without an owner is refused (issue 21).
  const userId = opts.actor.kind === "user" ? opts.actor.id : opts.actor.kind === "token" ? (opts.actor.ownerId ?? null) : null;
  if (!userId) throw new AppError("VALIDATION", "owner: a deploy token belongs to a user; create it signed in", { field: "owner" });
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const row = await db.apiToken.create({
    data: { name: input.name, role: "admin", scope: deployScope(instance.id), tokenHash: hashToken(token), prefix: token.slice(0, 12), userId },
  });
  await recordEvent({ actor: opts.actor, action: "token.create", target: `deploy token ${row.name} (${row.prefix}…) for ${instance.name}`, result: "ok" });
  return { id: row.id, name: row.name, scope: row.scope, prefix: row.prefix, token, createdAt: row.createdAt };
}

export async function listDeployTokens(opts: { instanceId: string }) {
  const rows = await db.apiToken.findMany({ where: { revokedAt: null, scope: deployScope(opts.instanceId) }, orderBy: { createdAt: "desc" }, include: { user: { select: { email: true } } } });
  return rows.map((r) => ({ id: r.id, name: r.name, scope: r.scope, prefix: r.prefix, createdBy: r.user?.email ?? null, lastUsedAt: r.lastUsedAt, createdAt: r.createdAt }));
}
