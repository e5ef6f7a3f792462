"use server";
import { isAppError } from "@/lib/errors";
import { createFirstAdmin } from "@/lib/auth/users";
import { formObject, type ActionResult } from "@/lib/action";

// Runs without a session by design: it only succeeds while no user exists.
export async function setupAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const input = formObject(form);
  if (input.password !== input.confirm) return { ok: false, error: "Passwords do not match", code: "VALIDATION", fieldErrors: { confirm: "does not match the password" } };
  try {
    const user = await createFirstAdmin({ email: input.email, password: input.password, name: input.name });
    return { ok: true, data: user, message: "Admin account created. Sign in to continue." };
  } catch (err) {
    if (isAppError(err)) return { ok: false, error: err.message, code: err.code, fieldErrors: (err.details?.fields as Record<string, string>) ?? undefined };
    throw err;
  }
}
