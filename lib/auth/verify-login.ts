import { db } from "../db";
import { logger } from "../logger";
import { recordEvent } from "../audit/record-event";
import { recordAggregated } from "../audit/record-aggregated";
import { burnPasswordCheck, verifyPassword } from "./password";
import { emitEventQuietly } from "../outbox/emit-event";
import { lockedFor, reserveAttempt, settleAttempt, throttleKeys } from "./throttle";

export class LoginError extends Error {}

/** Checks credentials for next-auth's credentials provider; throws LoginError with a user-facing message. */
export async function verifyLogin(opts: { email: string; password: string; address: string | null }) {
  const email = opts.email.trim().toLowerCase();
  const keys = throttleKeys(email, opts.address);
  // Reserved before the (slow) password check: a parallel burst verifies at most the limit.
  if (!(await reserveAttempt(keys))) {
    const wait = await lockedFor(keys);
    // Aggregated: a client hammering the form writes one row per minute, not one per try.
    await recordAggregated({
      actor: { kind: "user", label: email.slice(0, 254) || "(empty)", role: "viewer" },
      action: "auth.login.throttled",
      source: opts.address ?? `e-mail ${email.slice(0, 254)}`,
      message: "sign-in refused: too many attempts",
    });
    throw new LoginError(`Too many failed sign-in attempts. Try again in ${Math.max(1, Math.ceil(wait / 60_000))} minute(s).`);
  }
  const user = email ? await db.user.findUnique({ where: { email } }) : null;
  const ok = user ? await verifyPassword(user.passwordHash, opts.password) : (await burnPasswordCheck(opts.password), false);
  await settleAttempt(keys, Boolean(user && ok));
  if (!user || !ok) {
    // The failure that starts a lock is announced once per lock (issue 29).
    if ((await lockedFor(keys)) > 0) await emitEventQuietly({ event: "auth.lockout", consumer: { type: "user", id: email, name: email || "(empty)" }, path: "/activity", message: `sign-in for ${email || "(empty)"} is locked after repeated failed attempts`, foldKey: `auth.lockout:${email}:${Math.floor(Date.now() / 900_000)}`, once: true });
    logger.info({ op: "login", result: "failed" }, "sign-in failed");
    await recordEvent({ actor: { kind: "user", label: email || "(empty)", role: "viewer" }, action: "auth.login", target: opts.address, result: "denied", message: "invalid credentials" });
    throw new LoginError("Invalid e-mail or password.");
  }
  await recordEvent({ actor: { kind: "user", id: user.id, label: user.email, role: user.role as "admin" | "viewer" }, action: "auth.login", result: "ok" });
  return { id: user.id, email: user.email, name: user.name ?? user.email, role: user.role, sessionVersion: user.sessionVersion };
}
