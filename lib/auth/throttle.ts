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
  const keys = [{ key: `email:${email.toLowerCase()}`, max: THROTTLE.maxPerEmail }];
  if (address) keys.push({ key: `addr:${address}`, max: THROTTLE.maxPerAddress });
  return keys;
}

/** Milliseconds until the lock ends, or 0 when logins are allowed. */
export async function lockedFor(keys: { key: string }[], now = new Date()): Promise<number> {
  const rows = await db.loginThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } });
  const until = Math.max(0, ...rows.map((r) => (r.lockedUntil ? r.lockedUntil.getTime() : 0)));
  return Math.max(0, until - now.getTime());
}

export async function recordFailure(keys: { key: string; max: number }[], now = new Date()): Promise<void> {
  for (const { key, max } of keys) {
    const row = await db.loginThrottle.findUnique({ where: { key } });
    const fresh = !row || now.getTime() - row.windowStart.getTime() > THROTTLE.windowMs;
    const failures = fresh ? 1 : row.failures + 1;
    const lockedUntil = failures >= max ? new Date(now.getTime() + THROTTLE.lockMs) : (row?.lockedUntil ?? null);
    await db.loginThrottle.upsert({
      where: { key },
      create: { key, failures, windowStart: now, lockedUntil },
      update: { failures, windowStart: fresh ? now : row.windowStart, lockedUntil },
    });
  }
}

export async function clearFailures(email: string): Promise<void> {
  await db.loginThrottle.deleteMany({ where: { key: `email:${email.toLowerCase()}` } });
}
