import { db } from "../db";

// Sign-in attempts are counted per (e-mail, client address) and per client
// address inside a window; past the limit the key is locked for a while
// (SPEC: repeated failed logins are refused for a while). An attempt is
// reserved atomically *before* the slow password check (issue 21): a
// parallel burst verifies at most the limit, not every request that arrived
// before the first failures were counted. The e-mail's count is per address,
// so a flood from one address cannot keep the owner of an e-mail out: a
// locked e-mail still signs in from an address with no failures.
export const THROTTLE = {
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
  maxPerEmail: 5,
  maxPerAddress: 20,
};

export type ThrottleKey = { key: string; max: number };

export function throttleKeys(email: string, address: string | null): ThrottleKey[] {
  // Bounded keys: an e-mail is at most 254 characters, an address far less.
  const addr = address ? address.slice(0, 64) : "unknown";
  const keys = [{ key: `email:${email.toLowerCase().slice(0, 254)}|addr:${addr}`, max: THROTTLE.maxPerEmail }];
  if (address) keys.push({ key: `addr:${addr}`, max: THROTTLE.maxPerAddress });
  return keys;
}

/** Milliseconds until the lock ends, or 0 when no key is locked. */
export async function lockedFor(keys: { key: string }[], now = new Date()): Promise<number> {
  const rows = await db.loginThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } });
  const until = Math.max(0, ...rows.map((r) => (r.lockedUntil ? r.lockedUntil.getTime() : 0)));
  return Math.max(0, until - now.getTime());
}

/**
 * Counts one attempt on `key` unless it is locked or already at its limit in
 * the window: one conditional upsert (SQLite evaluates it atomically, and the
 * DO UPDATE's right-hand sides read the old row). True when reserved.
 */
async function reserveKey(k: ThrottleKey, now: Date): Promise<boolean> {
  const cutoff = new Date(now.getTime() - THROTTLE.windowMs);
  const changed = await db.$executeRaw`
    INSERT INTO "LoginThrottle" ("key", "failures", "windowStart", "lockedUntil")
    VALUES (${k.key}, 1, ${now}, NULL)
    ON CONFLICT ("key") DO UPDATE SET
      "failures" = CASE WHEN "LoginThrottle"."windowStart" < ${cutoff} THEN 1 ELSE "LoginThrottle"."failures" + 1 END,
      "windowStart" = CASE WHEN "LoginThrottle"."windowStart" < ${cutoff} THEN ${now} ELSE "LoginThrottle"."windowStart" END,
      "lockedUntil" = NULL
    WHERE ("LoginThrottle"."lockedUntil" IS NULL OR "LoginThrottle"."lockedUntil" <= ${now}) AND ("LoginThrottle"."windowStart" < ${cutoff} OR "LoginThrottle"."failures" < ${k.max})`;
  return changed > 0;
}

async function releaseKey(key: string): Promise<void> {
  await db.$executeRaw`UPDATE "LoginThrottle" SET "failures" = CASE WHEN "failures" > 0 THEN "failures" - 1 ELSE 0 END WHERE "key" = ${key}`;
}

/** Reserves an attempt on every key, or none (what was reserved is given back). */
export async function reserveAttempt(keys: ThrottleKey[], now = new Date()): Promise<boolean> {
  const done: string[] = [];
  for (const k of keys) {
    if (!(await reserveKey(k, now))) {
      for (const key of done) await releaseKey(key);
      return false;
    }
    done.push(k.key);
  }
  return true;
}

/**
 * After the password check. A success clears the (e-mail, address) count and
 * gives the address its attempt back; a failure keeps the reserved count and
 * locks each key that reached its limit. Rows whose window and lock are over
 * are deleted here, so unknown e-mails cannot pile up rows.
 */
export async function settleAttempt(keys: ThrottleKey[], ok: boolean, now = new Date()): Promise<void> {
  if (ok) {
    const [pair, ...rest] = keys;
    await db.loginThrottle.deleteMany({ where: { key: pair.key } });
    for (const k of rest) await releaseKey(k.key);
    return;
  }
  const lockUntil = new Date(now.getTime() + THROTTLE.lockMs);
  for (const k of keys) {
    await db.$executeRaw`UPDATE "LoginThrottle" SET "lockedUntil" = ${lockUntil} WHERE "key" = ${k.key} AND "failures" >= ${k.max} AND ("lockedUntil" IS NULL OR "lockedUntil" <= ${now})`;
  }
  await pruneThrottle(now);
}

/** Deletes throttle rows whose window and lock are both over. */
export async function pruneThrottle(now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - THROTTLE.windowMs);
  const res = await db.loginThrottle.deleteMany({ where: { windowStart: { lt: cutoff }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] } });
  return res.count;
}
