import { db } from "../db";

// Failed logins are counted per e-mail and per client address inside a
// window; past the limit the key is locked for a while (SPEC: repeated failed
// logins are refused for a while).
export const THROTTLE = {
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
  maxPerEmail: 5,
  maxPerAddress: 20,
};

export function throttleKeys(email: string, address: string | null): { key: string; max: number }[] {
  // Bounded keys: an e-mail is at most 254 characters, an address far less.
  const keys = [{ key: `email:${email.toLowerCase().slice(0, 254)}`, max: THROTTLE.maxPerEmail }];
  if (address) keys.push({ key: `addr:${address.slice(0, 64)}`, max: THROTTLE.maxPerAddress });
  return keys;
}

/** Milliseconds until the lock ends, or 0 when logins are allowed. */
export async function lockedFor(keys: { key: string }[], now = new Date()): Promise<number> {
  const rows = await db.loginThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } });
  const until = Math.max(0, ...rows.map((r) => (r.lockedUntil ? r.lockedUntil.getTime() : 0)));
  return Math.max(0, until - now.getTime());
}

/**
 * Counts one failure for each key in one conditional statement per key
 * (SQLite evaluates the whole upsert atomically, and every right-hand side of
 * DO UPDATE reads the old row): N parallel failures count N, and a lock is
 * set exactly when the count reaches the limit inside the window. A lock is
 * never extended by failures during it (verifyLogin refuses before counting),
 * so it stays time-bounded. Rows whose window and lock are over are deleted
 * here, so unknown e-mails cannot pile up rows.
 */
export async function recordFailure(keys: { key: string; max: number }[], now = new Date()): Promise<void> {
  const cutoff = new Date(now.getTime() - THROTTLE.windowMs);
  const lockUntil = new Date(now.getTime() + THROTTLE.lockMs);
  for (const { key, max } of keys) {
    await db.$executeRaw`
      INSERT INTO "LoginThrottle" ("key", "failures", "windowStart", "lockedUntil")
      VALUES (${key}, 1, ${now}, ${1 >= max ? lockUntil : null})
      ON CONFLICT ("key") DO UPDATE SET
        "failures" = CASE WHEN "LoginThrottle"."windowStart" < ${cutoff} THEN 1 ELSE "LoginThrottle"."failures" + 1 END,
        "windowStart" = CASE WHEN "LoginThrottle"."windowStart" < ${cutoff} THEN ${now} ELSE "LoginThrottle"."windowStart" END,
        "lockedUntil" = CASE WHEN (CASE WHEN "LoginThrottle"."windowStart" < ${cutoff} THEN 1 ELSE "LoginThrottle"."failures" + 1 END) >= ${max} THEN ${lockUntil} ELSE "LoginThrottle"."lockedUntil" END`;
  }
  await pruneThrottle(now);
}

/** Deletes throttle rows whose window and lock are both over. */
export async function pruneThrottle(now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - THROTTLE.windowMs);
  const res = await db.loginThrottle.deleteMany({ where: { windowStart: { lt: cutoff }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] } });
  return res.count;
}

export async function clearFailures(email: string): Promise<void> {
  await db.loginThrottle.deleteMany({ where: { key: `email:${email.toLowerCase().slice(0, 254)}` } });
}
