import Database from "better-sqlite3";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaClient } from "./generated/prisma/client";
import { env } from "./env";

// Every list query, as Prisma and the DNS list really send it, through
// SQLite's EXPLAIN QUERY PLAN: a filter or sort the indexes do not serve
// shows up as a full `SCAN <table>` or a temp B-tree sorting the table.
// The queries are captured from a client that logs them (installed as the
// app's client before any lib module loads), on a database holding enough
// rows that a missing index would matter.

type Captured = { query: string; params: unknown[] };
const captured: Captured[] = [];
const client = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: env().databaseUrl }), log: [{ emit: "event", level: "query" }] });
client.$on("query", (e) => captured.push({ query: e.query, params: JSON.parse(e.params) as unknown[] }));
(globalThis as { wharfDb?: unknown }).wharfDb = client;

const { db } = await import("./db");
const { listProxies } = await import("./proxies/list-proxies");
const { listInstances } = await import("./deployer/list-instances");
const { listDnsRecords } = await import("./dns/list-records");
const { listEvents } = await import("./audit/list-events");
const { listSyncRuns } = await import("./reconcile/list-runs");
const { listApiTokens } = await import("./auth/tokens");
const { listUsers } = await import("./auth/users");
const { getOverview } = await import("./dashboard/get-overview");

const BIG = ["StandaloneProxy", "dns_records", "Instance", "AuditEvent", "SyncRun", "ApiToken", "User"];
let sqlite: Database.Database;

function plan(c: Captured): string[] {
  const params = c.params.map((p) => (p === null || typeof p === "number" || typeof p === "string" || typeof p === "bigint" ? p : typeof p === "boolean" ? Number(p) : String(p)));
  return (sqlite.prepare(`EXPLAIN QUERY PLAN ${c.query}`).all(...params) as { detail: string }[]).map((r) => r.detail);
}

/** The plans of the SELECTs a call sends. */
async function plansOf(call: () => Promise<unknown>) {
  captured.length = 0;
  await call();
  return captured.filter((c) => /^\s*SELECT/i.test(c.query) && BIG.some((t) => c.query.includes(`\`${t}\``) || c.query.includes(`"${t}"`) || c.query.includes(` ${t} `))).map((c) => ({ sql: c.query, plan: plan(c) }));
}

/** A full pass over a table without an index: the thing that makes a list cost O(rows). */
const fullScans = (lines: string[]) => lines.filter((l) => /^SCAN (\S+)( AS \S+)?$/.test(l) && BIG.some((t) => l.includes(t)));
const sorts = (lines: string[]) => lines.filter((l) => /USE TEMP B-TREE FOR (ORDER BY|RIGHT PART OF ORDER BY)/.test(l));

beforeAll(async () => {
  sqlite = new Database(env().databaseUrl.replace(/^file:/, ""), { readonly: true });
  const N = 3000;
  await db.standaloneProxy.createMany({ data: Array.from({ length: N }, (_, i) => ({ domain: `p${i}.plan.test`, upstream: `http://192.0.2.${i % 250}:80`, routeStatus: i % 9 ? "active" : "failed" })) });
  const proxies = await db.standaloneProxy.findMany({ select: { id: true, domain: true } });
  await db.dnsRecord.createMany({ data: proxies.map((p, i) => ({ fqdn: p.domain, type: "A", content: "203.0.113.10", provider: "cloudflare", zone: "plan.test", consumerType: "standalone", consumerId: p.id, status: i % 7 ? "synced" : "failed" })) });
  await db.instance.createMany({ data: Array.from({ length: 500 }, (_, i) => ({ name: `app${i}`, subdomain: `app${i}`, image: `example/app:${i % 5}`, port: 8080, status: i % 3 ? "running" : "stopped" })) });
  await db.auditEvent.createMany({ data: Array.from({ length: N }, (_, i) => ({ actorType: "system", actorLabel: "plan", action: `x.${i}`, result: i % 4 ? "ok" : "error" })) });
  await db.syncRun.createMany({ data: Array.from({ length: 1000 }, (_, i) => ({ trigger: ["cron", "manual", "cli"][i % 3], status: "succeeded" })) });
}, 60_000);
afterAll(() => sqlite?.close());

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
      const allowed = sql.includes("(i.subdomain || ?)") || lines.includes("MULTI-INDEX OR") ? 1 : 0;
      expect(sorts(lines).length, `${sql}\n${lines.join("\n")}`).toBeLessThanOrEqual(allowed);
    }
  });

  it("the next page seeks the index to the cursor instead of reading from the start", async () => {
    const first = await listProxies(p("limit=50"));
    const plans = await plansOf(() => listProxies(p(`limit=50&cursor=${first.nextCursor}`)));
    const page = plans.find((x) => /ORDER BY/.test(x.sql))!;
    expect(page.plan.join("\n")).toMatch(/SEARCH .*StandaloneProxy.* USING INDEX StandaloneProxy_domain_key \(domain>\?\)/);
    const events = await listEvents(p("limit=50"));
    const eventPlans = await plansOf(() => listEvents(p(`limit=50&cursor=${events.nextCursor}`)));
    expect(eventPlans.find((x) => /ORDER BY/.test(x.sql))!.plan.join("\n")).toMatch(/SEARCH .*AuditEvent.* USING INDEX AuditEvent_createdAt_id_idx \(createdAt<\?\)/);
  });
});
