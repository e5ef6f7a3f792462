import { db } from "../db";
import { logger } from "../logger";

export type Role = "admin" | "viewer";

/** Who is acting: a logged-in user, an API token, or the system itself (cron, scheduler, CLI, start-up). */
export interface Actor {
  kind: "user" | "token" | "system" | "cron" | "cli";
  id?: string;
  label: string;
  role: Role;
  /** For a token: the user it belongs to. */
  ownerId?: string;
  /** Set for a deploy token: the one thing it may do ("instance:<id>:redeploy"). */
  scope?: string;
}

export const SYSTEM_ACTOR: Actor = { kind: "system", label: "system", role: "admin" };

/** One audit line per mutation (who, what, result). Never throws: auditing must not break the operation it records. */
export async function recordEvent(opts: {
  actor: Actor;
  action: string;
  target?: string | null;
  result: "ok" | "error" | "denied";
  message?: string | null;
}): Promise<void> {
  try {
    await db.auditEvent.create({
      data: {
        actorType: opts.actor.kind,
        actorId: opts.actor.id ?? null,
        // Bounded: labels and targets can come from unauthenticated input (a login's e-mail).
        actorLabel: opts.actor.label.slice(0, 254),
        action: opts.action.slice(0, 100),
        target: opts.target ? opts.target.slice(0, 500) : null,
        result: opts.result,
        message: opts.message ? opts.message.slice(0, 2000) : null,
      },
    });
  } catch (err) {
    logger.error({ op: "audit", action: opts.action, err: (err as Error).message }, "audit event not recorded");
  }
}
