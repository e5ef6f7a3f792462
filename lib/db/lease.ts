import { db, dialect, rawSql, type Prisma } from "../db";
import { AppError } from "../errors";

// Single-flight across requests and processes (SPEC §9): a row in Lease held
// until expiresAt. Taking it is one statement (an insert, or a takeover of an
// expired row), so no two processes can both win.
//
// Replicas run on several machines' clocks (issue 26): every statement that
// sets or compares expiresAt reads the DATABASE's clock in the statement
// itself (`dbNow` below), never the process's Date.now(). Every acquisition
// raises the row's fencing epoch; a write made under a lease checks holder,
// epoch and expiry in the same transaction (`fenced`), so a process paused
// past its lease cannot write after another took over.

/**
 * The database's current time as an SQL expression in the form Prisma stores
 * DateTime in, `ms` milliseconds ahead when given (one `?` placeholder taking
 * a number). SQLite: Prisma's ISO text with "+00:00" (see sqliteDate in
 * ../db), compared as text. PostgreSQL: UTC timestamp(3), as Prisma writes it.
 */
export function dbNow(withOffset = false): string {
  return dialect({
    sqlite: withOffset ? "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', (CAST(? AS REAL) / 1000.0) || ' seconds')" : "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
    postgres: withOffset
      ? "CAST((clock_timestamp() AT TIME ZONE 'UTC') + CAST(? AS integer) * interval '1 millisecond' AS timestamp(3))"
      : "CAST(clock_timestamp() AT TIME ZONE 'UTC' AS timestamp(3))",
  });
}

/** What a write under a lease is checked against: the lease row as this holder took it. */
export interface LeaseFence {
  readonly name: string;
  readonly holder: string;
  readonly epoch: number;
  /** What the "lease lost" error names (`instance:<id>`); the lease's name otherwise. */
  readonly label?: string;
}

/** Takes the lease now (inserting it, or taking over an expired one) with a new epoch, or says who holds it. */
export async function acquireLease(name: string, holder: string, ttlMs: number): Promise<{ ok: true; epoch: number } | { ok: false; holder: string }> {
  for (let attempt = 0; ; attempt++) {
    const rows = await db.$queryRawUnsafe<{ epoch: number | bigint }[]>(
      rawSql(`INSERT INTO "Lease" ("name","holder","acquiredAt","expiresAt","epoch") VALUES (?, ?, ${dbNow()}, ${dbNow(true)}, 1)
       ON CONFLICT("name") DO UPDATE SET "holder"=excluded."holder","acquiredAt"=excluded."acquiredAt","expiresAt"=excluded."expiresAt","epoch"="Lease"."epoch"+1
       WHERE "Lease"."expiresAt" <= ${dbNow()} RETURNING "epoch"`),
      name, holder, ttlMs,
    );
    if (rows.length === 1) return { ok: true, epoch: Number(rows[0].epoch) };
    const current = await db.lease.findUnique({ where: { name }, select: { holder: true } });
    // Released between our two statements: try once more (a lease that keeps being released and retaken is simply busy).
    if (current) return { ok: false, holder: current.holder };
    if (attempt >= 3) return { ok: false, holder: "unknown" };
  }
}

/** Extends a live lease this holder has; false once it expired (by the database's clock) or another holder took it. */
export async function renewLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
  const n = await db.$executeRawUnsafe(rawSql(`UPDATE "Lease" SET "expiresAt" = ${dbNow(true)} WHERE "name" = ? AND "holder" = ? AND "expiresAt" > ${dbNow()}`), ttlMs, name, holder);
  return n === 1;
}

export async function releaseLease(name: string, holder: string): Promise<void> {
  await db.lease.deleteMany({ where: { name, holder } });
}

/** Leases live right now by the database's clock, optionally those whose name starts with `prefix`. */
export async function liveLeases(prefix = ""): Promise<{ name: string; holder: string }[]> {
  return db.$queryRawUnsafe<{ name: string; holder: string }[]>(rawSql(`SELECT "name","holder" FROM "Lease" WHERE substr("name", 1, ?) = ? AND "expiresAt" > ${dbNow()}`), prefix.length, prefix);
}

export function leaseLostError(fence: LeaseFence): AppError {
  return new AppError("CONFLICT", `lease lost: another replica took over ${fence.label ?? fence.name}`, { details: { lease: fence.name, holder: fence.holder, epoch: fence.epoch } });
}

/**
 * Runs `write` in one transaction with the check that `fence` still holds
 * its lease (same holder, same epoch, unexpired by the database's clock). The
 * check is an UPDATE of the lease row, so it locks that row (PostgreSQL) or
 * the database (SQLite) until the transaction commits: a takeover waits for
 * the write, or the write sees the takeover and is refused with "lease lost"
 * before anything is written. No fence: `write` runs as it is.
 */
export async function fenced<T>(fence: LeaseFence | undefined, write: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  if (!fence) return write(db);
  return db.$transaction(async (tx) => {
    await holdFence(tx, fence);
    return write(tx);
  });
}

/** The check of `fenced`, for a transaction that already exists: throws "lease lost" unless the lease is still this holder's. */
export async function holdFence(tx: Prisma.TransactionClient, fence: LeaseFence): Promise<void> {
  const n = await tx.$executeRawUnsafe(
    rawSql(`UPDATE "Lease" SET "epoch" = "epoch" WHERE "name" = ? AND "holder" = ? AND "epoch" = ? AND "expiresAt" > ${dbNow()}`),
    fence.name, fence.holder, fence.epoch,
  );
  if (n !== 1) throw leaseLostError(fence);
}
