import { redirect } from "next/navigation";
import { requireUser } from "@/lib/auth/actor";
import { isAppError } from "@/lib/errors";
import type { Role } from "@/lib/audit/record-event";

/**
 * requireUser for pages: a visitor without a (current) session is sent to
 * /login instead of rendering an error, so an expired session is a redirect,
 * not a stack trace in the server log. The layout redirects too, but it
 * renders concurrently with the page and cannot stop the page's own check.
 */
export async function requirePageUser(role: Role = "viewer") {
  try {
    return await requireUser(role);
  } catch (err) {
    if (isAppError(err) && err.code === "UNAUTHORIZED") redirect("/login");
    throw err;
  }
}
