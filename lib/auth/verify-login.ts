import { db } from "../db";
import { logger } from "../logger";
import { recordEvent } from "../audit/record-event";
import { burnPasswordCheck, verifyPassword } from "./password";
import { emitEventQuietly } from "../notifications/emit-event";
import { clearFailures, lockedFor, recordFailure, throttleKeys } from "./throttle";

export class LoginError extends Error {}

/** Checks credentials for next-auth's credentials provider; throws LoginError with a user-facing message. */
export async function verifyLogin(opts: { email: string; password: string; address: string | null }) {
  const email = opts.email.trim().toLowerCase();
  const keys = throttleKeys(email, opts.address);
  const wait = await lockedFor(keys);
  if (wait > 0) {
    throw new LoginError(`Too many failed sign-in attempts. Try again in ${Math.ceil(wait / 60_000)} minute(s).`);
  }
  const user = email ? await db.user.findUnique({ where: { email } }) : null;
  const ok = user ? await verifyPassword(user.passwordHash, opts.password) : (await burnPasswordCheck(opts.password), false);
  if (!user || !ok) {
    await recordFailure(keys);
    // The failure that starts a lock is announced once per lock (issue 29).
    if ((await lockedFor(keys)) > 0) await emitEventQuietly({ event: "auth.lockout", consumer: { type: "user", id: email, name: email || "(empty)" }, path: "/activity", message: `sign-in for ${email || "(empty)"} is locked after repeated failed attempts`, foldKey: `auth.lockout:${email}:${Math.floor(Date.now() / 900_000)}`, once: true });
    logger.info({ op: "login", result: "failed" }, "sign-in failed");
    await recordEvent({ actor: { kind: "user", label: email || "(empty)", role: "viewer" }, action: "auth.login", result: "denied", message: "invalid credentials" });
    throw new LoginError("Invalid e-mail or password.");
  }
  await clearFailures(email);
  await recordEvent({ actor: { kind: "user", id: user.id, label: user.email, role: user.role as "admin" | "viewer" }, action: "auth.login", result: "ok" });
  return { id: user.id, email: user.email, name: user.name ?? user.email, role: user.role, sessionVersion: user.sessionVersion };
}
