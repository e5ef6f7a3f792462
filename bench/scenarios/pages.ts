// Every list page and list API at N standalone proxies with N ledger rows
// (npm run bench -- pages: N = 10,000, then 100,000 in a fresh data dir).
//
// Seeding goes through lib functions: createProxy for each proxy (wildcard
// mode, no proxy provider: no network calls; each create also writes its
// audit event), then managed mode at the Cloudflare double and one runSync,
// which writes the N ledger rows the way production does. 1,000 instance
// rows are inserted as rows (a real deploy needs Docker per instance and
// is measured by the deploy scenario). Then `next start` (the production
// build: run `npm run build` first) on the same data dir, and each URL is
// fetched over loopback, warm-ups first: time to the last byte (median,
// p90) and the body size.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { SYSTEM_ACTOR } from "../../lib/audit/record-event";
import { createApiToken } from "../../lib/auth/tokens";
import { db } from "../../lib/db";
import { setRuntimeForTests } from "../../lib/docker";
import { createProxy } from "../../lib/standalone-proxies/create-proxy";
import { runSync } from "../../lib/reconcile/run-sync";
import { updateSettings } from "../../lib/configuration/update-settings";
import { startCloudflareDouble } from "../../test/doubles/cloudflare-double";
import { fakeRuntime } from "../../test/doubles/fake-runtime";
import { progress, waitHttp } from "../lib/http";
import { check, ms, type Check, type ScenarioResult } from "../lib/result";
import { median, percentile } from "../lib/stats";
import { SERVER_NODE_OPTIONS } from "../lib/server-options";

const BASE = "pages.bench.test";
const TARGET = "203.0.113.10";
const ADMIN = { email: "bench-admin@example.com", password: `bench-${randomBytes(6).toString("hex")}` };
const RUNS = 15;
const WARMUP = 3;

type Answer = { status: number; bytes: number; ms: number; body: string; setCookie: string[] };

function request(port: number, opts: { path: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: "127.0.0.1", port, path: opts.path, method: opts.method ?? "GET", headers: opts.headers, agent: false, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, bytes: buf.length, ms: performance.now() - t0, body: buf.toString("utf8"), setCookie: res.headers["set-cookie"] ?? [] });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`timeout: ${opts.path}`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

const cookiePairs = (set: string[]) => set.map((c) => c.split(";")[0]);

/** next-auth credentials login: CSRF token, then the callback; returns the Cookie header. */
async function login(port: number): Promise<string> {
  const csrf = await request(port, { path: "/api/auth/csrf" });
  const jar = cookiePairs(csrf.setCookie);
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const form = new URLSearchParams({ csrfToken, email: ADMIN.email, password: ADMIN.password, json: "true" }).toString();
  const cb = await request(port, {
    path: "/api/auth/callback/credentials",
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.join("; "), origin: `http://127.0.0.1:${port}` },
    body: form,
  });
  const cookie = [...jar, ...cookiePairs(cb.setCookie)].join("; ");
  if (!cookie.includes("session-token")) throw new Error(`login failed: HTTP ${cb.status}`);
  return cookie;
}

async function seed(n: number) {
  await updateSettings({ actor: SYSTEM_ACTOR, body: { baseDomain: BASE, targetAddress: TARGET, dns: { mode: "wildcard", provider: null } } });
  const t0 = performance.now();
  const CONCURRENCY = 8;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < n; i = next++) {
        await createProxy({ actor: SYSTEM_ACTOR, body: { domain: `p${String(i).padStart(6, "0")}.${BASE}`, upstream: `http://192.0.2.${i % 250}:${8000 + (i % 50)}` } });
        if ((i + 1) % 10_000 === 0) progress(`pages: ${i + 1} proxies created (${ms(performance.now() - t0)})`);
      }
    }),
  );
  const proxiesMs = performance.now() - t0;
  await db.instance.createMany({ data: Array.from({ length: 1000 }, (_, i) => ({ name: `app${i}`, subdomain: `app${i}`, image: `wharf-test/web:v${(i % 2) + 1}`, port: 8080, status: i % 10 ? "running" : "stopped" })) });
  // Ledger rows the production way: managed mode, then one sync writes them all (Cloudflare double, no rate limit).
  const token = `bench-${randomBytes(8).toString("hex")}`;
  const cf = await startCloudflareDouble({ tokens: [token], zones: [{ id: randomBytes(16).toString("hex"), name: BASE }], rateLimit: { limit: 1_000_000, windowMs: 60_000 } });
  const tSync = performance.now();
  await updateSettings({ actor: SYSTEM_ACTOR, body: { dns: { mode: "managed", provider: { type: "cloudflare", apiToken: token, zoneId: cf.zones[0].id, baseUrl: cf.url } } } });
  const report = await runSync({ trigger: "cli", force: true });
  const syncMs = performance.now() - tSync;
  const ledger = await db.dnsRecord.count();
  progress(`pages: ${n} proxies in ${ms(proxiesMs)}, sync wrote ${ledger} ledger rows in ${ms(syncMs)} (${report.apiCalls} API calls)`);
  return { cf, proxiesMs, syncMs, ledger, syncApiCalls: report.apiCalls };
}

function startNext(port: number): ChildProcess {
  const child = spawn(process.execPath, [path.join("node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, PORT: String(port), NEXTAUTH_URL: `http://127.0.0.1:${port}`, WHARF_SCHEDULER: "off", WHARF_ADMIN_EMAIL: ADMIN.email, WHARF_ADMIN_PASSWORD: ADMIN.password, NODE_ENV: "production", NODE_OPTIONS: SERVER_NODE_OPTIONS },
  });
  return child;
}

interface Measured { url: string; kind: "page" | "api"; status: number; bytes: number; medianMs: number; p90Ms: number; }

async function measure(port: number, url: string, headers: Record<string, string>, kind: "page" | "api"): Promise<Measured> {
  const times: number[] = [];
  let last: Answer | null = null;
  for (let i = 0; i < WARMUP + RUNS; i++) {
    last = await request(port, { path: url, headers });
    if (last.status !== 200) throw new Error(`${url}: HTTP ${last.status} ${last.body.slice(0, 200)}`);
    if (i >= WARMUP) times.push(last.ms);
  }
  return { url, kind, status: last!.status, bytes: last!.bytes, medianMs: median(times), p90Ms: percentile(times, 90) };
}

export async function run(o: { rows?: number }): Promise<ScenarioResult> {
  const n = o.rows ?? 10_000;
  if (!existsSync(path.join(".next", "BUILD_ID"))) throw new Error("pages: no production build; run `npm run build` first");
  setRuntimeForTests(fakeRuntime());
  const seeded = await seed(n);
  const port = 3900 + Math.floor(Math.random() * 90);
  const next = startNext(port);
  try {
    await waitHttp(port, { intervalMs: 250, timeoutMs: 60_000 });
    const cookie = await login(port);
    // Tokens belong to a live user (issue 21): the admin the server bootstrapped and the login above used.
    const admin = await db.user.findUniqueOrThrow({ where: { email: ADMIN.email } });
    const { token } = await createApiToken({ actor: SYSTEM_ACTOR, userId: admin.id, body: { name: "bench", role: "admin" } });
    const bearer = { authorization: `Bearer ${token}` };
    // A cursor deep in the list: the last page of proxies and of DNS.
    const lastProxies = JSON.parse((await request(port, { path: `/api/proxies?limit=50&dir=desc`, headers: bearer })).body) as { nextCursor: string };
    const deepDns = JSON.parse((await request(port, { path: `/api/dns/records?limit=50&sort=status&dir=desc`, headers: bearer })).body) as { nextCursor: string };
    const pages = ["/", "/instances", "/proxies", "/proxies?sort=upstream&dir=desc&limit=200", `/proxies?dir=desc&cursor=${lastProxies.nextCursor}`, "/dns", "/dns?status=synced&consumer=standalone&q=p0012", "/dns?sort=status&limit=200", "/instances?limit=200", "/activity", "/activity?events.result=ok&events.q=proxy", "/activity?events.limit=200", "/settings"];
    const apis = ["/api/instances", "/api/proxies", "/api/proxies?limit=500", "/api/proxies?route=not_configured&sort=createdAt", "/api/dns/records", `/api/dns/records?limit=50&sort=status&dir=desc&cursor=${deepDns.nextCursor}`, "/api/dns/records?q=p00999", "/api/activity/events", "/api/activity/sync-runs", "/api/tokens", "/api/users"];
    const results: Measured[] = [];
    for (const url of pages) {
      results.push(await measure(port, url, { cookie }, "page"));
      progress(`pages: ${url} ${ms(results.at(-1)!.medianMs)} ${(results.at(-1)!.bytes / 1024).toFixed(1)} KB`);
    }
    for (const url of apis) {
      results.push(await measure(port, url, bearer, "api"));
      progress(`pages: ${url} ${ms(results.at(-1)!.medianMs)} ${(results.at(-1)!.bytes / 1024).toFixed(1)} KB`);
    }
    const limitMs = n > 10_000 ? 300 : 150;
    const checks: Check[] = [];
    const slowest = results.reduce((a, b) => (b.medianMs > a.medianMs ? b : a));
    const largest = (rs: Measured[]) => rs.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const pagesHtml = results.filter((r) => r.kind === "page");
    const biggest = largest(pagesHtml.filter((r) => !r.url.includes("limit=")));
    const biggest200 = largest(pagesHtml.filter((r) => r.url.includes("limit=200")));
    checks.push(check(`pages@${n}: slowest median (${slowest.url.slice(0, 60)})`, Math.round(slowest.medianMs), `< ${limitMs} ms`, slowest.medianMs < limitMs));
    checks.push(check(`pages@${n}: largest page HTML at the default 50 rows (${biggest.url.slice(0, 50)})`, `${(biggest.bytes / 1024).toFixed(1)} KB`, "< 200 KB", biggest.bytes < 200 * 1024));
    checks.push(check(`pages@${n}: largest page HTML at 200 rows (${biggest200.url.slice(0, 50)})`, `${(biggest200.bytes / 1024).toFixed(1)} KB`, "< 200 KB", biggest200.bytes < 200 * 1024));
    await seeded.cf.close();
    return {
      scenario: `pages (${n})`,
      ok: true,
      wallMs: 0,
      lines: [
        `${n} proxies via createProxy in ${ms(seeded.proxiesMs)}; ${seeded.ledger} ledger rows via one runSync in ${ms(seeded.syncMs)} (${seeded.syncApiCalls} API calls); 1,000 instance rows; ${n} audit events`,
        `each URL: ${WARMUP} warm-ups, then ${RUNS} sequential GETs over loopback; time to last byte`,
        "median ms | p90 ms | bytes | URL",
        ...results.map((r) => `${r.medianMs.toFixed(1).padStart(7)} | ${r.p90Ms.toFixed(1).padStart(7)} | ${String(r.bytes).padStart(8)} | ${r.url.length > 110 ? `${r.url.slice(0, 110)}…` : r.url}`),
      ],
      checks,
      data: { rows: n, seeded: { proxiesMs: seeded.proxiesMs, syncMs: seeded.syncMs, ledger: seeded.ledger, syncApiCalls: seeded.syncApiCalls }, results },
    };
  } finally {
    next.kill("SIGTERM");
  }
}
