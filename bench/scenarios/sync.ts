// DNS reconciliation at scale against the Cloudflare double with its rate
// limit on (1200 requests per 5 minutes per user; each token here is its own
// user). A fake container runtime
// makes sure only DNS is measured; consumers are standalone-proxy rows.
//
// Minimum API calls for one sync, as counted here:
//   ceil(R_before / per_page)   listing the zone to plan (per_page = 5,000,000)
// + ceil(changes / batch)       batch requests (200 on a Free zone, 3,500 on
//                               Pro, Business and Enterprise)
// + ceil(R_after / per_page)    the read-back listing that confirms the writes
//                               (only when there was something to write)
// The zone-name lookup (GET /zones/{id}, cached per process) is overhead.
import { randomBytes, randomUUID } from "node:crypto";
import { SYSTEM_ACTOR } from "../../lib/audit/record-event";
import { dateParam, db, dbDate, jsonRows, rawSql } from "../../lib/db";
import { setRuntimeForTests } from "../../lib/docker";
import { CF_BATCH_LIMIT, CF_BATCH_LIMIT_PAID, CF_RECORDS_PER_PAGE_MAX } from "../../lib/dns/cloudflare-client";
import { isWharfMarker } from "../../lib/naming";
import { runSync } from "../../lib/reconcile/run-sync";
import type { SyncReport } from "../../lib/reconcile/report";
import { updateSettings } from "../../lib/configuration/update-settings";
import { type RemoteCloudflareDouble, startCloudflareDoubleProcess } from "../lib/cloudflare-double-process";
import { fakeRuntime } from "../../test/doubles/fake-runtime";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { progress, waitHttp } from "../lib/http";
import { instrument, kindOf, type Timing } from "../lib/sync-instrument";
import { check, ms, type Check, type ScenarioResult } from "../lib/result";
import { ratio } from "../lib/stats";
import { SERVER_NODE_OPTIONS } from "../lib/server-options";

const BASE = "bench.example.test";
const TARGET = "203.0.113.10";
const RATE = { limit: 1200, windowMs: 5 * 60_000 };
const pages = (records: number) => Math.max(1, Math.ceil(records / CF_RECORDS_PER_PAGE_MAX));

type Plan = "free" | "enterprise";
const batchOf = (plan: Plan) => (plan === "free" ? CF_BATCH_LIMIT : CF_BATCH_LIMIT_PAID);

interface Zone {
  plan: Plan;
  cf: RemoteCloudflareDouble;
  /** Wharf's token. */
  token: string;
  /** A second token with its own rate window: the operator editing the zone behind Wharf's back. */
  operator: string;
}

interface CaseResult {
  name: string;
  consumers: number;
  recordsBefore: number;
  recordsAfter: number;
  report: Pick<SyncReport, "created" | "updated" | "deleted" | "alreadySynced" | "failed" | "foreign" | "apiCalls" | "durationMs" | "blocked">;
  wallMs: number;
  doubleRequests: number;
  byKind: Record<string, number>;
  writes: number;
  status429: number;
  minimum: { list: number; batch: number; readBack: number; total: number };
  ratioToMinimum: number;
  timing: Timing;
  /** Failed before an HTTP answer: counted by Wharf (and its budget), absent from the double's log. */
  transportFailures: string[];
  correct: boolean;
  notes: string[];
  /** The process's peak resident set size so far (getrusage maxrss) right after the sync, and its RSS just before the sync, in MB. */
  peakRssMb: number;
  rssBeforeMb: number;
}

async function newZone(plan: Plan = "free"): Promise<Zone> {
  const token = `bench-${randomBytes(8).toString("hex")}`;
  const operator = `operator-${randomBytes(8).toString("hex")}`;
  const cf = await startCloudflareDoubleProcess({ tokens: [token, operator], zones: [{ id: randomBytes(16).toString("hex"), name: BASE, plan }], rateLimit: RATE });
  return { plan, cf, token, operator };
}

/** Points Wharf at `zone` in managed mode. The ledger and consumers are emptied first, so no cleanup at the old zone is due. */
async function pointWharfAt(zone: Zone) {
  await db.dnsRecord.deleteMany();
  await db.standaloneProxy.deleteMany();
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: { baseDomain: BASE, targetAddress: TARGET, dns: { mode: "managed", provider: { type: "cloudflare", apiToken: zone.token, zoneId: zone.cf.zones[0].id, baseUrl: zone.cf.url } } },
  });
}

/**
 * Consumers as rows (raw SQL: Prisma's createMany of 100,000 rows leaves a
 * gigabyte of garbage behind, which would count in the sync's RSS).
 */
async function insertConsumers(from: number, to: number) {
  const CHUNK = 5000;
  const now = dbDate(new Date());
  for (let i = from; i < to; i += CHUNK) {
    const rows = [];
    for (let k = i; k < Math.min(to, i + CHUNK); k++) rows.push({ id: randomUUID(), domain: `p${k}.${BASE}` });
    // Either backend (--db): the raw-SQL fragments of lib/db.
    await db.$executeRawUnsafe(
      rawSql(`INSERT INTO "StandaloneProxy" ("id","domain","upstream","createdAt","updatedAt") SELECT j.value->>'id', j.value->>'domain', 'http://127.0.0.1:9', ${dateParam()}, ${dateParam()} FROM ${jsonRows()}`),
      now,
      now,
      JSON.stringify(rows),
    );
  }
}

async function syncCase(name: string, zone: Zone, consumers: number, verify: () => Promise<string[]>): Promise<CaseResult> {
  const recordsBefore = await zone.cf.recordCount();
  const first = await zone.cf.requestCount();
  // A clean heap first (the children run with --expose-gc): the peak below is the sync's own.
  (globalThis as { gc?: () => void }).gc?.();
  const { timing, restore } = await instrument();
  // The process's peak RSS (getrusage maxrss) is read right after the sync, before the checks load the
  // zone into this process. It includes what ran before (the seeding is raw SQL, so it is small); a
  // sampling timer would miss the peaks, which happen while the sync's synchronous work blocks the loop.
  const rssBeforeMb = Math.round(process.memoryUsage.rss() / 2 ** 20);
  const t0 = performance.now();
  let report: SyncReport;
  try {
    report = await runSync({ trigger: "cli" });
  } finally {
    restore();
  }
  const wallMs = performance.now() - t0;
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const reqs = await zone.cf.requests(first);
  const byKind: Record<string, number> = {};
  for (const r of reqs) byKind[kindOf(r)] = (byKind[kindOf(r)] ?? 0) + 1;
  const recordsAfter = await zone.cf.recordCount();
  const changes = report.created + report.updated + report.deleted;
  const minimum = { list: pages(recordsBefore), batch: Math.ceil(changes / batchOf(zone.plan)), readBack: changes ? pages(recordsAfter) : 0, total: 0 };
  minimum.total = minimum.list + minimum.batch + minimum.readBack;
  const problems = await verify();
  // Cross-check: Wharf counts attempts; an attempt that failed in transport (e.g. a reset keep-alive socket) never reaches the double's log.
  const crossCheck = report.apiCalls === reqs.length + timing.fetchErrors.length;
  if (!crossCheck) problems.push(`report.apiCalls ${report.apiCalls} ≠ ${reqs.length} requests seen by the double + ${timing.fetchErrors.length} transport failures`);
  const result: CaseResult = {
    name,
    peakRssMb,
    rssBeforeMb,
    consumers,
    recordsBefore,
    recordsAfter,
    report: { created: report.created, updated: report.updated, deleted: report.deleted, alreadySynced: report.alreadySynced, failed: report.failed, foreign: report.foreign, apiCalls: report.apiCalls, durationMs: report.durationMs, blocked: report.blocked },
    wallMs: Math.round(wallMs),
    doubleRequests: reqs.length,
    byKind,
    writes: reqs.filter((r) => r.method !== "GET").length,
    status429: reqs.filter((r) => r.status === 429).length,
    minimum,
    ratioToMinimum: ratio(report.apiCalls, minimum.total),
    timing: { ...timing, fetchErrors: [], apiMs: Math.round(timing.apiMs), listMs: Math.round(timing.listMs), applyMs: Math.round(timing.applyMs), applyApiMs: Math.round(timing.applyApiMs) },
    transportFailures: timing.fetchErrors,
    correct: problems.length === 0,
    notes: problems,
  };
  progress(`sync ${name}: ${report.apiCalls} API calls (${JSON.stringify(byKind)}), ${ms(wallMs)}, created ${report.created}, updated ${report.updated}, deleted ${report.deleted}${problems.length ? `; PROBLEMS: ${problems.join("; ")}` : ""}`);
  return result;
}

/** Wharf's records at the double, by name. */
const owned = async (cf: RemoteCloudflareDouble) => new Map((await cf.records()).filter((r) => isWharfMarker(r.comment)).map((r) => [r.name, r]));

/** Every consumer i in `want` has exactly its record with the target content, nothing else of Wharf's is there, and the ledger agrees. */
async function expectRecords(cf: RemoteCloudflareDouble, want: Set<number>): Promise<string[]> {
  const problems: string[] = [];
  const mine = await owned(cf);
  let wrong = 0;
  for (const i of want) if (mine.get(`p${i}.${BASE}`)?.content !== TARGET) wrong++;
  if (wrong) problems.push(`${wrong} consumers lack a correct record`);
  if (mine.size !== want.size) problems.push(`${mine.size} Wharf records at the provider, expected ${want.size}`);
  const synced = await db.dnsRecord.count({ where: { status: "synced" } });
  const rows = await db.dnsRecord.count();
  if (synced !== want.size || rows !== want.size) problems.push(`ledger has ${rows} rows (${synced} synced), expected ${want.size} synced`);
  return problems;
}

const range = (n: number) => new Set(Array.from({ length: n }, (_, i) => i));

/** (b) N consumers from an empty zone, (c) a no-op re-sync, (d) drift made behind Wharf's back. */
async function bigCases(big: number, plan: Plan, zones: Zone[]): Promise<{ b: CaseResult; c: CaseResult; d: CaseResult; drift: Record<string, number> }> {
  // (b) a new zone and a new token (a fresh rate window, as for a first sync).
  const zb = await newZone(plan);
  zones.push(zb);
  await pointWharfAt(zb);
  const tInsert = performance.now();
  await insertConsumers(0, big);
  progress(`sync: inserted ${big} consumers in ${ms(performance.now() - tInsert)}`);
  const b = await syncCase(`b: ${big} from empty (${plan})`, zb, big, () => expectRecords(zb.cf, range(big)));

  // (c) no-op re-sync.
  const c = await syncCase(`c: no-op re-sync of ${big}`, zb, big, () => expectRecords(zb.cf, range(big)));

  // (d) drift, made behind Wharf's back by the operator (own token, own rate window):
  //   1%   of Wharf's records get another content      (i ≡ 0 mod 100)  → Wharf updates them
  //   0.5% of Wharf's records are deleted at Cloudflare (i ≡ 50 mod 200) → Wharf re-creates them
  //   0.5% of the consumers are removed from Wharf      (i ≡ 25 mod 200) → Wharf deletes their records
  //   10 foreign records are added at other names                       → left alone
  const mine = await owned(zb.cf);
  const changed = [...range(big)].filter((i) => i % 100 === 0);
  const deletedAtCf = [...range(big)].filter((i) => i % 200 === 50);
  const removedConsumers = [...range(big)].filter((i) => i % 200 === 25);
  const ops = [
    ...deletedAtCf.map((i) => ({ delete: { id: mine.get(`p${i}.${BASE}`)!.id } })),
    ...changed.map((i, k) => ({ patch: { id: mine.get(`p${i}.${BASE}`)!.id, content: `198.51.100.${(k % 250) + 1}` } })),
  ];
  // In batches of the zone's limit, deletes first.
  for (let k = 0; k < ops.length; k += batchOf(plan)) {
    const chunk = ops.slice(k, k + batchOf(plan));
    const slice = { deletes: chunk.flatMap((o) => ("delete" in o ? [o.delete] : [])), patches: chunk.flatMap((o) => ("patch" in o ? [o.patch] : [])) };
    const res = await fetch(`${zb.cf.url}/zones/${zb.cf.zones[0].id}/dns_records/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${zb.operator}`, "content-type": "application/json" },
      body: JSON.stringify(slice),
    });
    if (!res.ok) throw new Error(`drift batch refused: ${res.status} ${await res.text()}`);
  }
  await db.standaloneProxy.deleteMany({ where: { domain: { in: removedConsumers.map((i) => `p${i}.${BASE}`) } } });
  for (let k = 0; k < 10; k++) await zb.cf.addRecord({ name: `foreign${k}.${BASE}`, type: "A", content: "198.51.100.200", ttl: 300, comment: "operator's" });
  const drift = { contentChanged: changed.length, deletedAtProvider: deletedAtCf.length, consumersRemoved: removedConsumers.length, foreignAdded: 10 };
  const wantD = new Set([...range(big)].filter((i) => i % 200 !== 25));
  const d = await syncCase(`d: drift on ${big}`, zb, big - removedConsumers.length, async () => {
    const p = await expectRecords(zb.cf, wantD);
    const foreign = (await zb.cf.records()).filter((r) => r.name.startsWith("foreign") && r.content === "198.51.100.200").length;
    if (foreign !== 10) p.push(`${foreign} of 10 foreign records left untouched`);
    return p;
  });
  const expected = { updated: changed.length, created: deletedAtCf.length, deleted: removedConsumers.length };
  if (d.report.updated !== expected.updated || d.report.created !== expected.created || d.report.deleted !== expected.deleted) {
    d.correct = false;
    d.notes.push(`report says updated ${d.report.updated}, created ${d.report.created}, deleted ${d.report.deleted}; expected ${JSON.stringify(expected)}`);
  }
  return { b, c, d, drift };
}

/** Peak and current RSS (VmHWM, VmRSS) of a process and its descendants, in MB: the largest of them. */
function processRss(pid: number): { peakMb: number; nowMb: number } {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      for (const t of readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) pids.push(Number(t));
    } catch {
      /* gone */
    }
  }
  let peakMb = 0;
  let nowMb = 0;
  for (const p of pids) {
    try {
      const status = readFileSync(`/proc/${p}/status`, "utf8");
      const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
      peakMb = Math.max(peakMb, Math.round(kb("VmHWM") / 1024));
      nowMb = Math.max(nowMb, Math.round(kb("VmRSS") / 1024));
    } catch {
      /* gone */
    }
  }
  return { peakMb, nowMb };
}

interface ServerCase { consumers: number; wallMs: number; apiCalls: number; created: number; rssBeforeMb: number; peakRssMb: number; correct: boolean; notes: string[] }

/**
 * (f) The same first sync of N consumers run by the production server
 * (`next start` on this data dir, the Vercel-style cron route), its peak RSS
 * read from /proc (VmHWM, which includes its start-up). Needs `npm run build`.
 */
async function serverCase(big: number, zones: Zone[]): Promise<ServerCase | string> {
  if (!existsSync(path.join(".next", "BUILD_ID"))) return "skipped: no production build (npm run build)";
  const zf = await newZone("enterprise");
  zones.push(zf);
  await pointWharfAt(zf);
  await insertConsumers(0, big);
  const port = 3800 + Math.floor(Math.random() * 90);
  const secret = randomBytes(24).toString("base64url");
  const server = spawn(process.execPath, [path.join("node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, PORT: String(port), NEXTAUTH_URL: `http://127.0.0.1:${port}`, WHARF_SCHEDULER: "off", CRON_SECRET: secret, NODE_ENV: "production", NODE_OPTIONS: SERVER_NODE_OPTIONS, WHARF_CADDY_ADMIN_URL: "" },
  });
  try {
    await waitHttp(port, { intervalMs: 250, timeoutMs: 60_000 });
    for (let i = 0; i < 3; i++) await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.arrayBuffer());
    const rssBeforeMb = processRss(server.pid!).nowMb;
    const first = await zf.cf.requestCount();
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/api/cron/sync`, { headers: { authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(600_000) });
    const report = (await res.json()) as SyncReport;
    const wallMs = Math.round(performance.now() - t0);
    const peakRssMb = processRss(server.pid!).peakMb;
    const apiCalls = (await zf.cf.requestCount()) - first;
    const notes = res.ok ? await expectRecords(zf.cf, range(big)) : [`cron route answered ${res.status}`];
    progress(`sync f: ${big} from empty through next start's cron route: ${apiCalls} requests, ${ms(wallMs)}, server RSS ${rssBeforeMb} MB before, peak ${peakRssMb} MB`);
    return { consumers: big, wallMs, apiCalls, created: report.created, rssBeforeMb, peakRssMb, correct: notes.length === 0, notes };
  } finally {
    server.kill("SIGTERM");
  }
}

/**
 * Sizes: 10,000 consumers on a Free zone (batches of 200), then 100,000 on an
 * Enterprise zone (batches of 3,500; no Free or Pro zone holds that many
 * records). `--consumers N` runs one size (Free up to 10,000, Enterprise above).
 */
export async function run(o: { consumers?: number }): Promise<ScenarioResult> {
  const sizes = o.consumers ? [o.consumers] : [10_000, 100_000];
  const planOf = (n: number): Plan => (n > 10_000 ? "enterprise" : "free");
  const small = Math.max(1, Math.min(1000, Math.floor(sizes[0] / 10)));
  setRuntimeForTests(fakeRuntime());
  const zones: Zone[] = [];
  const cases: CaseResult[] = [];
  const runs: { big: number; plan: Plan; b: CaseResult; c: CaseResult; d: CaseResult; drift: Record<string, number> }[] = [];
  const populateN = Math.min(200, small);
  let populate: { consumers: number; requests: number; byKind: Record<string, number>; wallMs: number; synced: number; minimumAsSync: number; status429: number } | null = null;
  let server: ServerCase | string = "not reached";
  try {
    // (a) small zone from empty.
    const za = await newZone();
    zones.push(za);
    await pointWharfAt(za);
    await insertConsumers(0, small);
    cases.push(await syncCase(`a: ${small} from empty`, za, small, () => expectRecords(za.cf, range(small))));

    for (const big of sizes) {
      const r = await bigCases(big, planOf(big), zones);
      runs.push({ big, plan: planOf(big), ...r });
      cases.push(r.b, r.c, r.d);
    }

    // (f) the production server's first sync of the largest size.
    server = await serverCase(Math.max(...sizes), zones);

    // (e) Not a sync, for comparison: entering managed mode while consumers
    // exist (a settings save). Wharf creates their records one consumer at a
    // time through the ensure hook. Information only, no target.
    const ze = await newZone();
    zones.push(ze);
    await db.dnsRecord.deleteMany();
    await db.standaloneProxy.deleteMany();
    await updateSettings({ actor: SYSTEM_ACTOR, body: { dns: { mode: "wildcard" } } });
    await insertConsumers(0, populateN);
    const firstReq = await ze.cf.requestCount();
    const t0 = performance.now();
    await updateSettings({
      actor: SYSTEM_ACTOR,
      body: { dns: { mode: "managed", provider: { type: "cloudflare", apiToken: ze.token, zoneId: ze.cf.zones[0].id, baseUrl: ze.cf.url } } },
    });
    const reqs = await ze.cf.requests(firstReq);
    const byKind: Record<string, number> = {};
    for (const r of reqs) byKind[kindOf(r)] = (byKind[kindOf(r)] ?? 0) + 1;
    populate = {
      consumers: populateN,
      requests: reqs.length,
      byKind,
      wallMs: Math.round(performance.now() - t0),
      synced: await db.dnsRecord.count({ where: { status: "synced" } }),
      minimumAsSync: 2 + Math.ceil(populateN / CF_BATCH_LIMIT),
      status429: reqs.filter((r) => r.status === 429).length,
    };
    progress(`sync e: entering managed mode with ${populateN} consumers: ${reqs.length} requests (${JSON.stringify(byKind)}), ${ms(populate.wallMs)}`);
  } finally {
    setRuntimeForTests(null);
  }
  const logs = await Promise.all(zones.map((z) => z.cf.requests()));
  await Promise.all(zones.map((z) => z.cf.close()));
  const total429 = logs.reduce((n, log) => n + log.filter((r) => r.status === 429).length, 0);
  const totalRequests = logs.reduce((n, log) => n + log.length, 0);
  const a = cases[0];
  const checks: Check[] = [];
  for (const { big, plan, b, c, d } of runs) {
    const bUse = b.doubleRequests / RATE.limit;
    checks.push(
      check(`sync b (${big} from empty, ${plan}): calls / minimum`, b.ratioToMinimum, "≤ 1.1", b.ratioToMinimum <= 1.1),
      check(`sync b (${big} from empty, ${plan}): peak RSS of the process (the double runs in its own)`, `${b.peakRssMb} MB`, "< 600 MB", b.peakRssMb < 600),
      check(`sync b (${big} from empty, ${plan}): share of the 1200/5 min budget`, `${(bUse * 100).toFixed(1)}%`, "≤ 25% (well within)", bUse <= 0.25),
      check(`sync c (no-op of ${big}): requests at the double`, `${c.doubleRequests} (${Object.keys(c.byKind).join("+")})`, `= ${c.minimum.list} listing call(s) only`, c.writes === 0 && c.doubleRequests === (c.byKind.list ?? 0) && c.doubleRequests === c.minimum.list),
      check(`sync d (drift on ${big}): calls / minimum`, d.ratioToMinimum, "≤ 2", d.ratioToMinimum <= 2),
    );
  }
  if (typeof server !== "string") {
    checks.push(check(`sync f (${server.consumers} from empty by next start, cron route): peak RSS of the server`, `${server.peakRssMb} MB`, "< 600 MB", server.peakRssMb < 600));
    checks.push(check(`sync f (${server.consumers} from empty by next start): converged`, server.correct ? "yes" : server.notes.join("; "), "yes", server.correct));
  }
  checks.push(
    check("sync: 429 answers from the double", total429, "= 0", total429 === 0),
    check(`sync a (${small} from empty): calls / minimum`, a.ratioToMinimum, "≤ 2", a.ratioToMinimum <= 2),
    check("sync: every case converged (records, ledger, report)", cases.every((x) => x.correct) ? "yes" : "no", "yes", cases.every((x) => x.correct)),
  );
  const line = (x: CaseResult) =>
    `${x.name.padEnd(32)} ${String(x.report.apiCalls).padStart(5)} calls (double saw ${x.doubleRequests}: ${Object.entries(x.byKind).map(([k, v]) => `${k} ${v}`).join(", ")}) · minimum ${x.minimum.total} (${x.minimum.list} list + ${x.minimum.batch} batch + ${x.minimum.readBack} read-back) · ratio ${x.ratioToMinimum} · wall ${ms(x.wallMs)} · created ${x.report.created}, updated ${x.report.updated}, deleted ${x.report.deleted}, synced ${x.report.alreadySynced}, failed ${x.report.failed} · 429s ${x.status429} · RSS ${x.rssBeforeMb} MB before, peak ${x.peakRssMb} MB`;
  return {
    scenario: "sync",
    ok: true,
    wallMs: 0,
    lines: [
      `Cloudflare double in its own process with its rate limit on (${RATE.limit} requests / ${RATE.windowMs / 60_000} min per user; each token is its own user), per_page ${CF_RECORDS_PER_PAGE_MAX.toLocaleString("en")}, batch ${CF_BATCH_LIMIT} (Free) or ${CF_BATCH_LIMIT_PAID} (Enterprise); fake container runtime`,
      "minimum = ceil(records before / per_page) listing + ceil(changes / batch) batches + ceil(records after / per_page) read-back listing when anything changed",
      ...cases.map(line),
      "where the wall time goes (ms): reconcile listing | applyChanges: API calls + own CPU | rest (plan, ledger writes in applyPlan, run bookkeeping)",
      ...cases.map(
        (x) =>
          `${x.name.padEnd(32)} ${String(x.timing.listMs).padStart(6)} | ${String(x.timing.applyApiMs).padStart(6)} + ${String(x.timing.applyMs - x.timing.applyApiMs).padStart(6)} | ${String(x.wallMs - x.timing.listMs - x.timing.applyMs).padStart(6)}`,
      ),
      ...cases.flatMap((x) => x.notes.map((n) => `  ${x.name}: ${n}`)),
      ...cases.flatMap((x) => x.transportFailures.map((f) => `  ${x.name}: 1 request failed in transport and was retried (counted by Wharf, not seen by the double): ${f}`)),
      ...runs.map(({ big, drift }) => `drift on ${big}: ${drift.contentChanged} records' content changed and ${drift.deletedAtProvider} records deleted at Cloudflare behind Wharf's back, ${drift.consumersRemoved} consumers removed from Wharf, ${drift.foreignAdded} foreign records added`),
      typeof server === "string"
        ? `f (next start): ${server}`
        : `f: ${server.consumers} from empty run by the production server (next start, GET /api/cron/sync): ${server.apiCalls} requests, wall ${ms(server.wallMs)}, created ${server.created}; server RSS ${server.rssBeforeMb} MB before the sync, peak ${server.peakRssMb} MB (VmHWM, start-up included)`,
      `429 answers: ${total429} of ${totalRequests} requests to the doubles`,
      populate
        ? `e (info, not a sync): entering managed mode with ${populate.consumers} consumers (settings save → per-consumer ensure hook): ${populate.requests} requests (${Object.entries(populate.byKind).map(([k, v]) => `${k} ${v}`).join(", ")}) = ${(populate.requests / populate.consumers).toFixed(1)} per consumer, ${ms(populate.wallMs)}, ${populate.synced} synced; a sync would need ${populate.minimumAsSync}`
        : "e: not reached",
    ],
    checks,
    data: { sizes, server, rateLimit: RATE, perPage: CF_RECORDS_PER_PAGE_MAX, batchLimits: { free: CF_BATCH_LIMIT, paid: CF_BATCH_LIMIT_PAID }, runs: runs.map(({ big, plan, drift }) => ({ big, plan, drift })), cases, populate, total429, totalRequests },
  };
}
