import { db, isPostgres, rawSql } from "../db";
import { normalizeFqdn } from "../naming";
import { targetRecord } from "./target-record";
import { encodeCursor, enumParam, parseListQuery, textParam, type TCursor, type TPage, type TSortDir } from "../pagination";
import { getSettings } from "../settings/get-settings";
import { EXPECTED_INSTANCE_STATES } from "./expected-records";

export interface DnsRow {
  fqdn: string;
  type: string;
  content: string;
  consumerType: string;
  consumerId: string;
  /** Instance name or proxy domain; null when the consumer no longer exists. */
  consumerName: string | null;
  status: string; // ledger status, "wildcard" (covered), or "missing" (expected, not in the ledger yet)
  providerRecordId: string | null;
  verifiedAt: Date | null;
  lastError: string | null;
  inLedger: boolean;
  /** Where a ledger record lives; null for rows that are only expected. */
  provider: string | null;
  zone: string | null;
}

export const DNS_STATUSES = ["synced", "pending", "failed", "deleting", "missing", "wildcard"] as const;
const LEDGER_STATUSES = new Set(["synced", "pending", "failed", "deleting"]);
export const DNS_SORTS = ["fqdn", "status"] as const;
export type TDnsSort = (typeof DNS_SORTS)[number];

/**
 * One source of the DNS list as SQL. `fqdn`/`status` are the arm's
 * expressions for the sort keys (with their own parameters); a null status
 * expression means the arm's status is the constant `constStatus`.
 */
type Arm = {
  select: string; selectParams: unknown[];
  from: string; where: string[]; whereParams: unknown[];
  /** The FROM for counting, when the select's joins do not change the count. */
  countFrom?: string;
  fqdn: string; fqdnParams: unknown[];
  status: string | null; constStatus?: string;
};

/** Case-insensitive LIKE on either backend (SQLite's LIKE is, for ASCII; PostgreSQL's is not). */
const LIKE = () => (isPostgres() ? "ILIKE" : "LIKE");

function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The three sources of the DNS list: ledger rows (with their consumer's name
 * by primary key), standalone proxies without a ledger row for their FQDN,
 * and running instances without one. Each is read in the list's order
 * through an index (dns_records.fqdn or (status, fqdn), StandaloneProxy.domain;
 * instances, a much smaller table, are sorted by their FQDN expression), and
 * SQLite merges the ordered streams, so a page costs an index seek and
 * `limit` rows, not a pass over the ledger.
 */
function arms(opts: { mode: string; baseDomain: string; targetAddress: string; status?: string; consumerType?: string; q?: string }): Arm[] {
  const expectedStatus = opts.mode === "wildcard" ? "wildcard" : "missing";
  const target = targetRecord(opts.targetAddress);
  const like = opts.q ? likePattern(opts.q) : null;
  const out: Arm[] = [];
  const wantLedger = !opts.status || LEDGER_STATUSES.has(opts.status);
  const wantExpected = !opts.status || opts.status === expectedStatus;
  if (wantLedger) out.push(ledgerArm({ status: opts.status, consumerType: opts.consumerType, like }));
  const expected = (e: ExpectedSource) => expectedArm(e, { target, expectedStatus, like, q: opts.q });
  if (wantExpected && opts.consumerType !== "instance") {
    // rtrim in the ledger probe: a domain may be stored with its trailing dot; the ledger's FQDN never has one.
    out.push(expected({ fqdn: "p.domain", fqdnParams: [], consumerType: "standalone", id: "p.id", name: "p.domain", from: `"StandaloneProxy" p`, where: [], whereParams: [] }));
  }
  if (wantExpected && opts.consumerType !== "standalone") {
    out.push(expected({
      fqdn: "(i.subdomain || ?)", fqdnParams: [`.${normalizeFqdn(opts.baseDomain)}`], consumerType: "instance", id: "i.id", name: "i.name",
      from: `"Instance" i`, where: [`i.status IN (${EXPECTED_INSTANCE_STATES.map(() => "?").join(", ")})`], whereParams: [...EXPECTED_INSTANCE_STATES],
    }));
  }
  return out;
}

/** Ledger rows, with their consumer's name by primary key. */
function ledgerArm(opts: { status?: string; consumerType?: string; like: string | null }): Arm {
  const { like } = opts;
  const where: string[] = [];
  const whereParams: unknown[] = [];
  if (opts.status) (where.push("r.status = ?"), whereParams.push(opts.status));
  if (opts.consumerType) (where.push(`r."consumerType" = ?`), whereParams.push(opts.consumerType));
  if (like) {
    // LIKE is case-insensitive (ASCII) in SQLite, ILIKE on PostgreSQL. A proxy's name is its domain, the record's own
    // name: only an instance's name needs a lookup (by primary key, for the rows the name and
    // content did not match). No join in the filter, so the count reads dns_records alone.
    where.push(`(r.fqdn ${LIKE()} ? ESCAPE '\\' OR r.content ${LIKE()} ? ESCAPE '\\'
      OR (r."consumerType" = 'instance' AND EXISTS (SELECT 1 FROM "Instance" qi WHERE qi.id = r."consumerId" AND qi.name ${LIKE()} ? ESCAPE '\\')))`);
    whereParams.push(like, like, like);
  }
  return {
    select: `r.fqdn AS fqdn, r.type AS type, r.content AS content, r."consumerType" AS "consumerType", r."consumerId" AS "consumerId",
      COALESCE(ci.name, cp.domain) AS "consumerName", r.status AS status, r."providerRecordId" AS "providerRecordId",
      r."verifiedAt" AS "verifiedAt", r."lastError" AS "lastError", 1 AS "inLedger", r.provider AS provider, r.zone AS zone`,
    selectParams: [],
    from: `dns_records r
      LEFT JOIN "Instance" ci ON r."consumerType" = 'instance' AND ci.id = r."consumerId"
      LEFT JOIN "StandaloneProxy" cp ON r."consumerType" = 'standalone' AND cp.id = r."consumerId"`,
    countFrom: "dns_records r",
    where, whereParams, fqdn: "r.fqdn", fqdnParams: [], status: "r.status",
  };
}

/** A source of expected rows (standalone proxies, running instances) as SQL expressions. */
type ExpectedSource = { fqdn: string; fqdnParams: unknown[]; consumerType: string; id: string; name: string; from: string; where: string[]; whereParams: unknown[] };

/** Expected FQDNs of one source that have no ledger row yet, each with the target as its content. */
function expectedArm(e: ExpectedSource, opts: { target: ReturnType<typeof targetRecord>; expectedStatus: string; like: string | null; q?: string }): Arm {
  const { like, expectedStatus } = opts;
  const { type, content } = opts.target;
  const where = [...e.where];
  const whereParams = [...e.whereParams];
  // Every expected row has the target as its content: when that matches, the text filter keeps them all.
  if (like && !content.toLowerCase().includes(opts.q!.toLowerCase())) {
    // The cheap text test before the ledger probe below.
    where.push(e.name === e.fqdn ? `${e.fqdn} ${LIKE()} ? ESCAPE '\\'` : `(${e.fqdn} ${LIKE()} ? ESCAPE '\\' OR ${e.name} ${LIKE()} ? ESCAPE '\\')`);
    whereParams.push(...e.fqdnParams, like, ...(e.name === e.fqdn ? [] : [like]));
  }
  where.push(`NOT EXISTS (SELECT 1 FROM dns_records x WHERE x.fqdn = rtrim(${e.fqdn}, '.'))`);
  whereParams.push(...e.fqdnParams);
  return {
    select: `${e.fqdn} AS fqdn, CAST(? AS TEXT) AS type, CAST(? AS TEXT) AS content, '${e.consumerType}' AS "consumerType", ${e.id} AS "consumerId", ${e.name} AS "consumerName",
      CAST(? AS TEXT) AS status, NULL AS "providerRecordId", NULL AS "verifiedAt", NULL AS "lastError", 0 AS "inLedger", NULL AS provider, NULL AS zone`,
    selectParams: [...e.fqdnParams, type, content, expectedStatus],
    from: e.from, where, whereParams, fqdn: e.fqdn, fqdnParams: e.fqdnParams, status: null, constStatus: expectedStatus,
  };
}

/** The arm's keyset condition: (sort key, fqdn) strictly after the cursor in `dir` order. */
function keyset(arm: Arm, sort: TDnsSort, dir: TSortDir, c: TCursor): { sql: string; params: unknown[] } {
  const op = dir === "asc" ? ">" : "<";
  const byFqdn = { sql: `${arm.fqdn} ${op} ?`, params: [...arm.fqdnParams, c.id] };
  if (sort === "fqdn") return byFqdn;
  if (arm.status === null) {
    // A constant status: the whole arm is after the cursor, before it, or keyed by fqdn alone.
    const s = arm.constStatus ?? "";
    const v = String(c.value);
    if (s === v) return byFqdn;
    return { sql: (dir === "asc" ? s > v : s < v) ? "1=1" : "1=0", params: [] };
  }
  return { sql: `${arm.status} ${op}= ? AND (${arm.status} ${op} ? OR ${arm.fqdn} ${op} ?)`, params: [c.value, c.value, ...arm.fqdnParams, c.id] };
}

function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(typeof v === "string" && /^\d+$/.test(v) ? Number(v) : (v as string | number));
  return Number.isNaN(d.getTime()) ? null : d;
}

export interface TDnsOverview {
  mode: "wildcard" | "managed";
  provider: string | null;
  baseDomain: string;
  page: TPage<DnsRow>;
}

/**
 * One page of the DNS list (SPEC §8): every expected FQDN and every ledger
 * record, in both modes. Query: `limit`, `cursor`, `sort` (fqdn|status),
 * `dir`, `status`, `consumerType` (instance|standalone; `consumer` is the
 * page's older name for it), `q` (text in name, content or consumer).
 */
export async function dnsOverview(opts: { params?: URLSearchParams; defaultLimit?: number } = {}): Promise<TDnsOverview> {
  const params = opts.params ?? new URLSearchParams();
  const query = parseListQuery(params, { sorts: DNS_SORTS, defaultSort: "fqdn", defaultLimit: opts.defaultLimit });
  const status = enumParam(params, "status", DNS_STATUSES);
  const consumerType = enumParam(params, "consumerType", ["instance", "standalone"] as const) ?? enumParam(params, "consumer", ["instance", "standalone"] as const);
  const q = textParam(params);
  const settings = await getSettings();
  const parts = arms({ mode: settings.dns.mode, baseDomain: settings.baseDomain, targetAddress: settings.targetAddress, status, consumerType, q });
  const { sort, dir, cursor, limit } = query;
  const back = cursor?.back ?? false;
  const readDir: TSortDir = back ? (dir === "asc" ? "desc" : "asc") : dir;

  const { rows, total } = parts.length > 0 ? await readPage(parts, { sort, readDir, cursor, limit }) : { rows: [] as DnsRow[], total: 0 };
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  if (back) items.reverse();
  const at = (r: DnsRow | undefined, isBack: boolean) => (r ? encodeCursor({ sort, dir, value: sort === "fqdn" ? r.fqdn : r.status, id: r.fqdn, back: isBack }) : null);
  const nextCursor = back ? at(items.at(-1), false) : more ? at(items.at(-1), false) : null;
  const prevCursor = back ? (more ? at(items[0], true) : null) : cursor ? at(items[0], true) : null;
  return { mode: settings.dns.mode, provider: settings.dns.provider?.type ?? null, baseDomain: settings.baseDomain, page: { items, nextCursor, prevCursor, total, limit, sort, dir } };
}

/**
 * Each source is read on its own, in its own index order, `limit + 1` rows from the cursor; the page is
 * the first `limit + 1` of their merge. (A single UNION ALL ... ORDER BY made SQLite sort a whole
 * source whenever its sort key was a constant, as the expected rows' status is.)
 */
async function readPage(parts: Arm[], o: { sort: TDnsSort; readDir: TSortDir; cursor: TCursor | null | undefined; limit: number }): Promise<{ rows: DnsRow[]; total: number }> {
  const { sort, readDir, cursor, limit } = o;
  const reads = parts.map((arm) => {
    const where = [...arm.where];
    const p = [...arm.selectParams, ...arm.whereParams];
    if (cursor) {
      const k = keyset(arm, sort, readDir, cursor);
      where.push(k.sql);
      p.push(...k.params);
    }
    const order = sort === "status" && arm.status !== null ? `${arm.status} ${readDir}, ${arm.fqdn} ${readDir}` : `${arm.fqdn} ${readDir}`;
    const sql = `SELECT ${arm.select} FROM ${arm.from}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order} LIMIT ?`;
    return db.$queryRawUnsafe<Record<string, unknown>[]>(rawSql(sql), ...p, ...arm.fqdnParams, limit + 1);
  });
  const counts = parts.map((arm) => `(SELECT count(*) FROM ${arm.countFrom ?? arm.from}${arm.where.length ? ` WHERE ${arm.where.join(" AND ")}` : ""})`);
  const countParams = parts.flatMap((arm) => arm.whereParams);
  const [counted, ...raws] = await Promise.all([db.$queryRawUnsafe<{ n: number | bigint }[]>(rawSql(`SELECT ${counts.join(" + ")} AS n`), ...countParams), ...reads]);
  const total = Number(counted[0]?.n ?? 0);
  const sign = readDir === "asc" ? 1 : -1;
  const cmp = (x: DnsRow, y: DnsRow) => {
    const kx = sort === "status" ? `${x.status}\u0000${x.fqdn}` : x.fqdn;
    const ky = sort === "status" ? `${y.status}\u0000${y.fqdn}` : y.fqdn;
    return kx === ky ? 0 : kx < ky ? -sign : sign;
  };
  const rows = raws.flat().map((r) => ({
    fqdn: String(r.fqdn), type: String(r.type), content: String(r.content), consumerType: String(r.consumerType), consumerId: String(r.consumerId),
    consumerName: (r.consumerName as string | null) ?? null, status: String(r.status), providerRecordId: (r.providerRecordId as string | null) ?? null,
    verifiedAt: toDate(r.verifiedAt), lastError: (r.lastError as string | null) ?? null, inLedger: Number(r.inLedger) === 1,
    provider: (r.provider as string | null) ?? null, zone: (r.zone as string | null) || null,
  })).sort(cmp).slice(0, limit + 1);
  return { rows, total };
}
