import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetDnsState } from "../../test/helpers/dns-fixtures";
import { SQL_CHUNK_ROWS, SQL_COMMIT_ROWS, dateParam, db, dbDate, jsonChunks, jsonRows, rawSql, writeChunks } from "../db";
import { markPending, markSynced } from "./ledger-bulk";

const row = (i: number) => ({ fqdn: `r${i}.example.test`, type: "A", content: "192.0.2.1", provider: "cloudflare", zone: "example.test", consumerType: "standalone", consumerId: `c${i}` });

describe("bulk ledger statements", () => {
  beforeEach(resetDnsState);
  afterEach(() => vi.restoreAllMocks());

  it("makes JSON chunks one at a time, each of at most SQL_CHUNK_ROWS mapped items", () => {
    let mapped = 0;
    const chunks = jsonChunks(Array.from({ length: SQL_CHUNK_ROWS * 2 + 3 }, (_, i) => i), (i) => (mapped++, { i }));
    const first = chunks.next();
    // Lazy: only the first chunk's items are mapped so far (the @prisma/debug history keeps each statement's
    // arguments, so every parameter is kept small and none is made before its statement runs).
    expect(mapped).toBe(SQL_CHUNK_ROWS);
    expect(JSON.parse(first.value as string)).toHaveLength(SQL_CHUNK_ROWS);
    const rest = [...chunks].map((c) => JSON.parse(c) as unknown[]);
    expect(rest.map((c) => c.length)).toEqual([SQL_CHUNK_ROWS, 3]);
    expect(rest[1]).toEqual([{ i: SQL_CHUNK_ROWS * 2 }, { i: SQL_CHUNK_ROWS * 2 + 1 }, { i: SQL_CHUNK_ROWS * 2 + 2 }]);
  });

  it("commits SQL_COMMIT_ROWS rows per transaction and writes every row", async () => {
    const n = SQL_COMMIT_ROWS * 2 + 123;
    const tx = vi.spyOn(db, "$transaction");
    await markPending(Array.from({ length: n }, (_, i) => row(i)));
    expect(tx).toHaveBeenCalledTimes(3);
    expect(await db.dnsRecord.count({ where: { status: "pending" } })).toBe(n);
    await markSynced(Array.from({ length: n }, (_, i) => ({ fqdn: `r${i}.example.test`, providerRecordId: `id${i}` })), "example.test");
    expect(await db.dnsRecord.count({ where: { status: "synced" } })).toBe(n);
    expect(await db.dnsRecord.findUnique({ where: { fqdn: `r${n - 1}.example.test` } })).toMatchObject({ providerRecordId: `id${n - 1}`, status: "synced" });
  });

  it("a failing statement rolls back its own group only; groups before it stay written", async () => {
    const chunks = [...jsonChunks(Array.from({ length: SQL_COMMIT_ROWS + SQL_CHUNK_ROWS }, (_, i) => row(i)), (r) => ({ ...r, id: `id-${r.fqdn}` }))];
    const bad = chunks.length - 1;
    const at = dbDate(new Date("2026-12-01T00:00:00.000Z"));
    const write = (json: string) =>
      db.$executeRawUnsafe(
        rawSql(`INSERT INTO "dns_records" ("id","fqdn","type","content","provider","zone","consumerType","consumerId","status","createdAt","updatedAt")
         SELECT j.value->>'id', j.value->>'fqdn', j.value->>'type', j.value->>'content', j.value->>'provider', j.value->>'zone', j.value->>'consumerType', j.value->>'consumerId', 'pending', ${dateParam()}, ${dateParam()}
         FROM ${jsonRows()}`),
        at,
        at,
        json,
      );
    // The last chunk repeats a name of the first: a unique-constraint failure in the second group.
    const second = JSON.parse(chunks[bad]) as ReturnType<typeof row>[];
    chunks[bad] = JSON.stringify([...second, { ...row(0), id: "dup" }]);
    await expect(writeChunks(chunks, write)).rejects.toThrow();
    expect(await db.dnsRecord.count()).toBe(SQL_COMMIT_ROWS);
  });
});
