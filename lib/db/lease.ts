import { db } from "../db";

// Single-flight across requests and processes (SPEC §9): a row in Lease held
// until expiresAt. Taking it is one conditional write (an expired lease is
// taken over) or one insert (the primary key refuses a second holder), so no
// two processes can both win.

export async function acquireLease(name: string, holder: string, ttlMs: number): Promise<{ ok: true } | { ok: false; holder: string }> {
  const now = new Date();
  const expiresAt = new Date(now.getTime() + ttlMs);
  const taken = await db.lease.updateMany({ where: { name, expiresAt: { lt: now } }, data: { holder, acquiredAt: now, expiresAt } });
  if (taken.count === 1) return { ok: true };
  try {
    await db.lease.create({ data: { name, holder, acquiredAt: now, expiresAt } });
    return { ok: true };
  } catch (err) {
    if ((err as { code?: string }).code !== "P2002") throw err;
    const current = await db.lease.findUnique({ where: { name } });
    // It expired between our two writes: try once more.
    if (!current || current.expiresAt < new Date()) return acquireLease(name, holder, ttlMs);
    return { ok: false, holder: current.holder };
  }
}

export async function renewLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
  const res = await db.lease.updateMany({ where: { name, holder }, data: { expiresAt: new Date(Date.now() + ttlMs) } });
  return res.count === 1;
}

export async function releaseLease(name: string, holder: string): Promise<void> {
  await db.lease.deleteMany({ where: { name, holder } });
}
