import { AppError } from "../errors";
import { recordEvent, type Actor, type Role } from "../audit/record-event";

/** Throws FORBIDDEN (and audits the refusal) when `actor` lacks `role`. */
export async function assertRole(actor: Actor, role: Role, action = "request"): Promise<void> {
  if (role === "admin" && actor.role !== "admin") {
    await recordEvent({ actor, action, result: "denied", message: "viewer role is read-only" });
    throw new AppError("FORBIDDEN", "Your role (viewer) is read-only: this action needs an admin");
  }
}
