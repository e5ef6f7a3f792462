import { getServerSession } from "next-auth";
import { db } from "../db";
import { AppError } from "../errors";
import type { Actor, Role } from "../audit/record-event";
import { authOptions } from "./options";
import { actorFromToken } from "./tokens";
import { assertRole } from "./assert-role";

/**
 * The logged-in user, re-read from the database on every request so a
 * deleted or demoted user loses access at once, and a session signed in
 * before the user's last password or role change (an older session version)
 * is over.
 */
export async function sessionActor(): Promise<Actor | null> {
  const session = await getServerSession(authOptions());
  const claims = session?.user as { id?: string; sv?: number } | undefined;
  if (!claims?.id) return null;
  const user = await db.user.findUnique({ where: { id: claims.id } });
  if (!user || user.sessionVersion !== (claims.sv ?? 0)) return null;
  return { kind: "user", id: user.id, label: user.email, role: user.role as Role };
}

/** API callers: `Authorization: Bearer <api token>` first, then the session cookie. */
export async function requestActor(req: Request): Promise<Actor | null> {
  const auth = req.headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? actorFromToken(m[1]) : null;
  }
  return sessionActor();
}

// In its own module so that code without sessions (the CLI) need not load next-auth.
export { assertRole };

/** For server components and actions: the session's actor with at least `role`, or an AppError. */
export async function requireUser(role: Role = "viewer", action?: string): Promise<Actor> {
  const actor = await sessionActor();
  if (!actor) throw new AppError("UNAUTHORIZED", "Sign in first");
  await assertRole(actor, role, action);
  return actor;
}
