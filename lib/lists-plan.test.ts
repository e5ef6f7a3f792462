import Database from "better-sqlite3";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaClient } from "./generated/prisma/client";
import { PrismaClient as PgPrismaClient } from "./generated/prisma-pg/client";
import { env } from "./env";

// Every list query, as Prisma and the DNS list really send it, through
// SQLite's EXPLAIN QUERY PLAN: a filter or sort the indexes do not serve
// shows up as a full `SCAN <table>` or a temp B-tree sorting the table.
// The queries are captured from a client that logs them (installed as the
// app's client before any lib module loads), on a database holding enough
// rows that a missing index would matter. On PostgreSQL (WHARF_TEST_DB=postgres)
// the same queries go through EXPLAIN with sequential scans priced out
// (enable_seqscan off): a `Seq Scan` or a `Sort` of a table is then one that
// no index can serve, whatever the table's size.

type Captured = { query: string; params: unknown[] };
const captured: Captured[] = [];
const pgMode = env().dbProvider === "postgresql";
const client = pgMode
  ? (new PgPrismaClient({ adapter: new PrismaPg({ connectionString: env().databaseUrl }), log: [{ emit: "event", level: "query" }] }) as unknown as PrismaClient)
  : new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: env().databaseUrl }), log: [{ emit: "event", level: "query" }] });
(client as unknown as { $on: (ev: "query", cb: (e: { query: string; params: string }) => void) => void }).$on("query", (e) =>
  captured.push({ query: e.query, params: JSON.parse(e.params) as unknown[] }),
);
(globalThis as { wharfDb?: unknown }).wharfDb = client;

const { db } = await import("./db");
const { listProxies } = await import("./standalone-proxies/list-proxies");
const { listInstances } = await import("./instances/list-instances");
const { listDnsRecords } = await import("./dns/list-records");
const { listEvents } = await import("./audit/list-events");
const { listSyncRuns } = await import("./reconcile/list-runs");
const { listApiTokens } = await import("./auth/tokens");
const { listUsers } = await import("./auth/users");
const { getOverview } = await import("./dashboard/get-overview");

const BIG = ["StandaloneProxy", "dns_records", "Instance", "AuditEvent", "SyncRun", "ApiToken", "User"];
let sqlite: Database.Database;
let pgClient: pg.Client;

async function plan(c: Captured): Promise<string[]> {
  if (pgMode) {
    const res = await pgClient.query<{ "QUERY PLAN": string }>(`EXPLAIN ${c.query}`, c.params);
    return res.rows.map((r) => r["QUERY PLAN"]);
  }
  const params = c.params.map((p) => (p === null || typeof p === "number" || typeof p === "string" || typeof p === "bigint" ? p : typeof p === "boolean" ? Number(p) : String(p)));
  return (sqlite.prepare(`EXPLAIN QUERY PLAN ${c.query}`).all(...params) as { detail: string }[]).map((r) => r.detail);
}

/** The plans of the SELECTs a call sends. */
async function plansOf(call: () => Promise<unknown>) {
  captured.length = 0;
  await call();
  const selects = captured.filter((c) => /^\s*SELECT/i.test(c.query) && BIG.some((t) => c.query.includes(`\`${t}\``) || c.query.includes(`"${t}"`) || c.query.includes(` ${t} `)));
  return Promise.all(selects.map(async (c) => ({ sql: c.query, plan: await plan(c) })));
}

/** A full pass over a table without an index: the thing that makes a list cost O(rows). */
const fullScans = (lines: string[]) =>
  lines.filter((l) => (pgMode ? /Seq Scan on /.test(l) : /^SCAN (\S+)( AS \S+)?$/.test(l)) && BIG.some((t) => l.includes(t)));
// PostgreSQL: a full `Sort` node. An `Incremental Sort` is not counted: its rows come in index order on the
// leading key (`Presorted Key`), and only ties are sorted (for `domain, id` with a unique domain: none).
const sorts = (lines: string[]) => lines.filter((l) => (pgMode ? /^\s*(->\s*)?Sort\s+\(/.test(l) : /USE TEMP B-TREE FOR (ORDER BY|RIGHT PART OF ORDER BY)/.test(l)));

beforeAll(async () => {
  if (pgMode) {
    pgClient = new pg.Client({ connectionString: env().databaseUrl });
    await pgClient.connect();
    // Priced out, not forbidden: a plan that still has a Seq Scan (or a bitmap scan followed by a Sort) has no index to use.
    await pgClient.query("SET enable_seqscan = off");
    await pgClient.query("SET enable_bitmapscan = off");
  } else {
    sqlite = new Database(env().databaseUrl.replace(/^file:/, ""), { readonly: true });
  }
  const N = 3000;
  await db.standaloneProxy.createMany({ data: Array.from({ length: N }, (_, i) => ({ domain: `p${i}.plan.test`, upstream: `http://192.0.2.${i % 250}:80`, routeStatus: i % 9 ? "active" : "failed" })) });
  const proxies = await db.standaloneProxy.findMany({ select: { id: true, domain: true } });
  await db.dnsRecord.createMany({ data: proxies.map((p, i) => ({ fqdn: p.domain, type: "A", content: "203.0.113.10", provider: "cloudflare", zone: "plan.test", consumerType: "standalone", consumerId: p.id, status: i % 7 ? "synced" : "failed" })) });
  await db.instance.createMany({ data: Array.from({ length: 500 }, (_, i) => ({ name: `app${i}`, subdomain: `app${i}`, image: `example/app:${i % 5}`, port: 8080, status: i % 3 ? "running" : "stopped" })) });
  await db.auditEvent.createMany({ data: Array.from({ length: N }, (_, i) => ({ actorType: "system", actorLabel: "plan", action: `x.${i}`, result: i % 4 ? "ok" : "error" })) });
  await db.syncRun.createMany({ data: Array.from({ length: 1000 }, (_, i) => ({ trigger: ["cron", "manual", "cli"][i % 3], status: "succeeded" })) });
  if (pgMode) await pgClient.query("ANALYZE");
}, 60_000);
afterAll(async () => {
  sqlite?.close();
  await pgClient?.end();
  if (pgMode) await client.$disconnect();
});

const p = (s: string) => ({ params: new URLSearchParams(s) });

describe("list queries use indexes (EXPLAIN QUERY PLAN)", () => {
  const cases: [string, () => Promise<unknown>][] = [
    ["proxies, default", () => listProxies(p(""))],
    ["proxies, by upstream desc", () => listProxies(p("sort=upstream&dir=desc"))],
    ["proxies, by creation", () => listProxies(p("sort=createdAt"))],
    ["proxies, route filter", () => listProxies(p("route=failed"))],
    ["proxies, by route", () => listProxies(p("sort=route"))],
    ["instances, default", () => listInstances(p(""))],
    ["instances, status filter", () => listInstances(p("status=running"))],
    ["instances, by image", () => listInstances(p("sort=image"))],
    ["instances, by name", () => listInstances(p("sort=name&dir=desc"))],
    ["dns, default", () => listDnsRecords(p(""))],
    ["dns, by status", () => listDnsRecords(p("sort=status"))],
    ["dns, status filter", () => listDnsRecords(p("status=failed"))],
    ["dns, standalone only", () => listDnsRecords(p("consumerType=standalone&sort=status&dir=desc"))],
    ["events", () => listEvents(p(""))],
    ["events, result filter", () => listEvents(p("result=error"))],
    ["sync runs", () => listSyncRuns(p(""))],
    ["sync runs, trigger filter", () => listSyncRuns(p("trigger=cli"))],
    ["tokens", () => listApiTokens(p(""))],
    ["users", () => listUsers(p(""))],
    ["dashboard counts", () => getOverview()],
  ];

  it.each(cases)("%s: no full table scan, no sort of the table", async (_, call) => {
    const plans = await plansOf(call);
    expect(plans.length).toBeGreaterThan(0);
    for (const { sql, plan: lines } of plans) {
      expect(fullScans(lines), `${sql}\n${lines.join("\n")}`).toEqual([]);
      // Allowed sorts: the instance arm of the DNS list sorts the (small) set of running instances by FQDN, and
      // the dashboard's certificate warnings sort the union of two index lookups (failed, expiring), not the table.
      // On PostgreSQL also the tokens list: `revokedAt IS NULL` does not fix the index's leading column for
      // ordering (only `=` does), so the live tokens, found through the index, are sorted, not the table.
      const tokensOnPg = pgMode && /FROM "public"\."ApiToken" WHERE \("public"\."ApiToken"\."revokedAt" IS NULL/.test(sql) && lines.some((l) => /Index Cond: \("revokedAt" IS NULL\)/.test(l));
      const allowed = /\(i\.subdomain \|\| (\?|\$\d+)\)/.test(sql) || lines.includes("MULTI-INDEX OR") || lines.some((l) => l.includes("BitmapOr")) || tokensOnPg ? 1 : 0;
      expect(sorts(lines).length, `${sql}\n${lines.join("\n")}`).toBeLessThanOrEqual(allowed);
    }
  });

  it("the next page seeks the index to the cursor instead of reading from the start", async () => {
    const first = await listProxies(p("limit=50"));
    const plans = await plansOf(() => listProxies(p(`limit=50&cursor=${first.nextCursor}`)));
    const page = plans.find((x) => /ORDER BY/.test(x.sql))!;
    expect(page.plan.join("\n")).toMatch(
      pgMode ? /Index Scan using "StandaloneProxy_domain_key" on "StandaloneProxy"[\s\S]*Index Cond: \(domain >=? / : /SEARCH .*StandaloneProxy.* USING INDEX StandaloneProxy_domain_key \(domain>\?\)/,
    );
    const events = await listEvents(p("limit=50"));
    const eventPlans = await plansOf(() => listEvents(p(`limit=50&cursor=${events.nextCursor}`)));
    expect(eventPlans.find((x) => /ORDER BY/.test(x.sql))!.plan.join("\n")).toMatch(
      pgMode
        ? /Index Scan Backward using "AuditEvent_createdAt(_id)?_idx" on "AuditEvent"[\s\S]*Index Cond: \("createdAt" <=? /
        : /SEARCH .*AuditEvent.* USING INDEX AuditEvent_createdAt_id_idx \(createdAt<\?\)/,
    );
  });
});
