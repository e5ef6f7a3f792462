import { db } from "../db";

// Bulk ledger writes for the reconciler. One statement per row made a 10,000
// record sync spend ~15 s in SQLite (and better-sqlite3 blocks the process
// meanwhile); these write a chunk per statement.
const CHUNK = 400;

function chunks<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/** Rows confirmed by the provider: status synced, verified now, error cleared, each with its provider record id. */
export async function markSynced(rows: { fqdn: string; providerRecordId: string }[], zone: string): Promise<void> {
  const verifiedAt = new Date();
  for (const part of chunks(rows)) {
    const fqdns = part.map((r) => r.fqdn);
    await db.dnsRecord.updateMany({ where: { fqdn: { in: fqdns } }, data: { status: "synced", verifiedAt, zone, lastError: null } });
    // The per-row value in one statement: CASE over the chunk (no dates here, so no format to match).
    const cases = part.map(() => "WHEN ? THEN ?").join(" ");
    const params = [...part.flatMap((r) => [r.fqdn, r.providerRecordId]), ...fqdns];
    await db.$executeRawUnsafe(`UPDATE "dns_records" SET "providerRecordId" = CASE "fqdn" ${cases} END WHERE "fqdn" IN (${fqdns.map(() => "?").join(",")})`, ...params);
  }
}

/** Rows already right at the provider: only verified-at moves. */
export async function touchVerified(fqdns: string[]): Promise<void> {
  const verifiedAt = new Date();
  for (const part of chunks(fqdns)) await db.dnsRecord.updateMany({ where: { fqdn: { in: part } }, data: { verifiedAt } });
}

export async function deleteRows(fqdns: string[]): Promise<void> {
  for (const part of chunks(fqdns)) await db.dnsRecord.deleteMany({ where: { fqdn: { in: part } } });
}

/** The subset of `fqdns` that has a ledger row. */
export async function existingRows(fqdns: string[]): Promise<Map<string, { status: string; providerRecordId: string | null; content: string; consumerId: string }>> {
  const out = new Map<string, { status: string; providerRecordId: string | null; content: string; consumerId: string }>();
  for (const part of chunks(fqdns)) {
    for (const r of await db.dnsRecord.findMany({ where: { fqdn: { in: part } }, select: { fqdn: true, status: true, providerRecordId: true, content: true, consumerId: true } })) out.set(r.fqdn, r);
  }
  return out;
}
