import { isAppError } from "./errors";
import { logger } from "./logger";
import { requireUser } from "./auth/actor";
import { isSafeFieldName } from "./form-data";
import type { Actor, Role } from "./audit/record-event";

// Server actions never throw to the UI (STYLE habit 6): they return this.
export type ActionResult<T = unknown> =
  | { ok: true; data: T; message?: string }
  | { ok: false; error: string; code: string; fieldErrors?: Record<string, string>; typed?: Record<string, string> };

export async function runAction<T>(opts: { role: Role; action: string; message?: string }, fn: (actor: Actor) => Promise<T>): Promise<ActionResult<T>> {
  try {
    const actor = await requireUser(opts.role, opts.action);
    const data = await fn(actor);
    return { ok: true, data, message: opts.message };
  } catch (err) {
    if (isAppError(err)) {
      const fields = (err.details?.fields as Record<string, string> | undefined) ?? (err.field ? { [err.field]: err.message } : undefined);
      return { ok: false, error: err.message, code: err.code, fieldErrors: fields };
    }
    logger.error({ op: opts.action, err: err instanceof Error ? err.message : String(err) }, "server action failed");
    return { ok: false, error: "Internal error: see the server log", code: "INTERNAL" };
  }
}

/**
 * React resets a form after its action runs; a refused form would lose what
 * was typed. Failed results carry the submitted (non-secret) values back so
 * the form can render them as its defaults.
 */
export function withValues<T>(res: ActionResult<T>, form: FormData, secretFields: string[] = []): ActionResult<T> {
  if (res.ok) return res;
  const typed: Record<string, string> = {};
  for (const [k, v] of form.entries()) if (typeof v === "string" && !k.startsWith("$") && isSafeFieldName(k) && !secretFields.some((s) => k.endsWith(s))) typed[k] = v;
  return { ...res, typed };
}

/** FormData → plain object; empty strings are treated as "not given". */
export function formObject(form: FormData): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of form.entries()) if (typeof v === "string" && v !== "" && !k.startsWith("$ACTION") && isSafeFieldName(k)) out[k] = v;
  return out;
}
