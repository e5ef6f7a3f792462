import { randomUUID } from "node:crypto";
import { dateParam, db, dbDate, jsonChunks, jsonRows, jsonValues, rawSql, writeChunks } from "../db";

// Bulk ledger writes for the reconciler. A Prisma call per row made a 10,000
// record sync spend ~15 s in SQLite; a Prisma call per chunk of 400 still
// spent ~240 µs per row compiling queries (Prisma 7's query compiler plans
// every `in: [...]` list anew): 25 s of a 100,000-record sync. These are raw
// statements of fixed text that take a chunk of rows as one JSON parameter
// (SQLite's json_each, PostgreSQL's json_array_elements: jsonRows/jsonValues;
// chunks from jsonChunks), so each costs one prepare and one index probe per
// row; writes commit 5,000 rows at a time (writeChunks). Dates are written in
// Prisma's own format on SQLite (dbDate), `updatedAt` by hand. The statement
// text is built once per backend (the placeholders differ).

export interface PendingRow {
  fqdn: string;
  type: string;
  content: string;
  provider: string;
  zone: string;
  consumerType: string;
  consumerId: string;
}

/**
 * The intent before a provider call: every row `pending` with the record it
 * will have. New names are inserted; a name that has a row (or got one
 * meanwhile, from a hook of a consumer created after the plan) is rewritten
 * in the same statement. Its last error stays until the outcome is known.
 */
export async function markPending(rows: PendingRow[]): Promise<void> {
  const now = dbDate(new Date());
  const sql = rawSql(`INSERT INTO "dns_records" ("id","fqdn","type","content","provider","zone","consumerType","consumerId","status","createdAt","updatedAt")
       SELECT j.value->>'id', j.value->>'fqdn', j.value->>'type', j.value->>'content', j.value->>'provider', j.value->>'zone', j.value->>'consumerType', j.value->>'consumerId', 'pending', ${dateParam()}, ${dateParam()}
       FROM ${jsonRows()} WHERE true
       ON CONFLICT("fqdn") DO UPDATE SET "type"=excluded."type","content"=excluded."content","provider"=excluded."provider","zone"=excluded."zone",
         "consumerType"=excluded."consumerType","consumerId"=excluded."consumerId","status"='pending',"updatedAt"=excluded."updatedAt"`);
  await writeChunks(jsonChunks(rows, (r) => ({ id: randomUUID(), ...r })), (json) =>
    db.$executeRawUnsafe(
      sql,
      now,
      now,
      json,
    ),
  );
}

/** Rows confirmed by the provider: status synced, verified now, error cleared, each with its provider record id. */
export async function markSynced(rows: { fqdn: string; providerRecordId: string }[], zone: string): Promise<void> {
  const now = dbDate(new Date());
  const sql = rawSql(`UPDATE "dns_records" SET "status"='synced',"verifiedAt"=${dateParam()},"updatedAt"=${dateParam()},"zone"=?,"lastError"=NULL,"providerRecordId"=j.value->>'id'
       FROM ${jsonRows()} WHERE "dns_records"."fqdn" = j.value->>'fqdn'`);
  await writeChunks(jsonChunks(rows, (r) => ({ fqdn: r.fqdn, id: r.providerRecordId })), (json) =>
    db.$executeRawUnsafe(
      sql,
      now,
      now,
      zone,
      json,
    ),
  );
}

/** Rows whose change failed (or whose name a foreign record holds): status failed with the error (at most 1,000 characters). Names without a row are skipped. */
export async function markFailed(rows: { fqdn: string; error: string }[]): Promise<void> {
  const now = dbDate(new Date());
  const sql = rawSql(`UPDATE "dns_records" SET "status"='failed',"lastError"=j.value->>'error',"updatedAt"=${dateParam()} FROM ${jsonRows()} WHERE "dns_records"."fqdn" = j.value->>'fqdn'`);
  await writeChunks(jsonChunks(rows, (r) => ({ fqdn: r.fqdn, error: r.error.slice(0, 1000) })), (json) =>
    db.$executeRawUnsafe(
      sql,
      now,
      json,
    ),
  );
}

/** Rows already right at the provider: only verified-at moves. */
export async function touchVerified(fqdns: string[]): Promise<void> {
  const now = dbDate(new Date());
  const sql = rawSql(`UPDATE "dns_records" SET "verifiedAt"=${dateParam()},"updatedAt"=${dateParam()} WHERE "fqdn" IN (${jsonValues()})`);
  await writeChunks(jsonChunks(fqdns), (json) => db.$executeRawUnsafe(sql, now, now, json));
}

export async function deleteRows(fqdns: string[]): Promise<void> {
  const sql = rawSql(`DELETE FROM "dns_records" WHERE "fqdn" IN (${jsonValues()})`);
  await writeChunks(jsonChunks(fqdns), (json) => db.$executeRawUnsafe(sql, json));
}

export type ExistingRow = { status: string; providerRecordId: string | null; content: string; consumerId: string };

/** The subset of `fqdns` that has a ledger row. */
export async function existingRows(fqdns: string[]): Promise<Map<string, ExistingRow>> {
  const out = new Map<string, ExistingRow>();
  const sql = rawSql(`SELECT "fqdn","status","providerRecordId","content","consumerId" FROM "dns_records" WHERE "fqdn" IN (${jsonValues()})`);
  for (const json of jsonChunks(fqdns)) {
    const rows = await db.$queryRawUnsafe<(ExistingRow & { fqdn: string })[]>(sql, json);
    for (const { fqdn, ...r } of rows) out.set(fqdn, r);
  }
  return out;
}
