// `npm run bench [-- deploy|zero-downtime|sync …] [--runs N] [--redeploys N] [--consumers N] [--db sqlite|postgres|both]`
//
// Runs each scenario in its own process with its own fresh data dir
// (migrations applied, settings through updateSettings), prints measured
// values next to their targets, and writes bench/results/latest.json.
// Performance is reported, not asserted: the exit code is non-zero only
// when a scenario crashed.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { createScratchDatabase } from "../test/helpers/pg";
import type { ScenarioResult } from "./lib/result";
import { SERVER_NODE_OPTIONS } from "./lib/server-options";

const ALL = ["deploy", "zero-downtime", "sync", "usage", "pages"] as const;
const HELP = `usage: npm run bench -- [${ALL.join("|")} …] [--runs N] [--redeploys N] [--consumers N] [--containers N] [--ticks N] [--interval S] [--rows N] [--db sqlite|postgres|both] [--keep-data]
  --runs N        deploy: timed runs of each kind (default 7)
  --redeploys N   zero-downtime: redeploys under load (default 5)
  --consumers N   sync: size of the large zone (default 10000; the small one is a tenth of it, at most 1000)
  --containers N  usage: running containers sampled (default 50)
  --ticks N       usage: timed collector ticks (default 8)
  --interval N    usage: seconds between ticks (default 15, the collector's default)
  --rows N        pages: one size only (default: 10000, then 100000, each in a fresh data dir; needs \`npm run build\`)
  --shared-caddy  zero-downtime: use test/services/start.sh's Caddy (127.0.0.1:2019, :8480) instead of a private one
  --db WHICH      the database each scenario runs on: sqlite (default), postgres (a fresh database per run on
                  $WHARF_TEST_PG_URL's server, default postgresql://wharf:wharf@127.0.0.1:5432), or both, one after
                  the other, with the PostgreSQL/SQLite ratio of every wall time and median printed at the end
  --keep-data     keep each scenario's data dir under ${tmpdir()}`;

type Db = "sqlite" | "postgres";

function parseArgs(argv: string[]) {
  const picked: string[] = [];
  const options: Record<string, number> = {};
  let keepData = false;
  let dbs: Db[] = ["sqlite"];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const dbFlag = /^--db(?:=(.*))?$/.exec(a);
    if (dbFlag) {
      const v = dbFlag[1] ?? argv[++i];
      if (v !== "sqlite" && v !== "postgres" && v !== "both") throw new Error(`--db needs sqlite, postgres or both (got ${v ?? "nothing"})`);
      dbs = v === "both" ? ["sqlite", "postgres"] : [v];
      continue;
    }
    const flag = /^--(runs|redeploys|consumers|containers|ticks|interval|rows)(?:=(.*))?$/.exec(a);
    if (flag) {
      const v = Number(flag[2] ?? argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`--${flag[1]} needs a positive integer`);
      options[flag[1]] = v;
    } else if (a === "--keep-data") keepData = true;
    else if (a === "--shared-caddy") options.sharedCaddy = 1;
    else if (a === "-h" || a === "--help") {
      console.log(HELP);
      process.exit(0);
    } else if ((ALL as readonly string[]).includes(a)) picked.push(a);
    else throw new Error(`unknown argument ${a}\n${HELP}`);
  }
  return { scenarios: picked.length ? picked : [...ALL], options, keepData, dbs };
}

/** Runs the scenario on `dbName`: PostgreSQL gets a database of its own, dropped afterwards (kept with --keep-data). */
async function runOn(dbName: Db, name: string, options: Record<string, number>, keepData: boolean): Promise<ScenarioResult> {
  if (dbName === "sqlite") return runChild(name, options, keepData, {});
  const scratch = await createScratchDatabase("wharf_bench");
  try {
    const r = await runChild(name, options, keepData, {
      DATABASE_URL: scratch.url,
      // Start-up refuses PostgreSQL without the secrets replicas share; fixed bench values.
      NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? "bench-nextauth-secret-0123456789",
      WHARF_ENCRYPTION_KEY: process.env.WHARF_ENCRYPTION_KEY ?? "bench-encryption-key-0123456789",
      CRON_SECRET: process.env.CRON_SECRET ?? "bench-cron-secret-0123456789abcd",
    });
    if (keepData) r.data.database = scratch.name;
    return r;
  } finally {
    if (!keepData) await scratch.drop().catch((err: unknown) => console.error(`[bench] could not drop ${scratch.name}: ${(err as Error).message}`));
  }
}

function runChild(name: string, options: Record<string, number>, keepData: boolean, dbEnv: Record<string, string>): Promise<ScenarioResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `wharf-bench-${name}-`));
  const resultFile = path.join(dataDir, "result.json");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--expose-gc", ...SERVER_NODE_OPTIONS.split(/\s+/).filter(Boolean), ...(process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []), "--import", "tsx", path.join("bench", "child.ts"), name], {
      stdio: ["ignore", "inherit", "inherit"],
      env: {
        ...process.env,
        WHARF_DATA_DIR: dataDir,
        DATABASE_URL: "",
        ...dbEnv,
        BENCH_RESULT_FILE: resultFile,
        BENCH_OPTIONS: JSON.stringify(options),
        WHARF_SCHEDULER: "off",
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "silent",
        NEXT_TELEMETRY_DISABLED: "1",
      },
    });
    child.on("exit", (code, signal) => {
      let result: ScenarioResult;
      try {
        result = JSON.parse(readFileSync(resultFile, "utf8")) as ScenarioResult;
      } catch {
        result = { scenario: name, ok: false, error: `scenario process ended (${signal ?? `exit ${code}`}) without a result`, wallMs: 0, lines: [], checks: [], data: {} };
      }
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
      else result.data.dataDir = dataDir;
      resolve(result);
    });
  });
}

function print(r: ScenarioResult) {
  console.log(`\n=== ${r.scenario} (${(r.wallMs / 1000).toFixed(1)} s) ${r.ok ? "" : "— CRASHED"}`);
  for (const l of r.lines) console.log(`  ${l}`);
  if (r.error) console.log(`  error: ${r.error}`);
  if (r.checks.length) {
    console.log("  targets:");
    const w = Math.max(...r.checks.map((c) => c.name.length));
    for (const c of r.checks) console.log(`    ${c.pass ? "PASS" : "MISS"}  ${c.name.padEnd(w)}  ${String(c.value).padStart(10)}   target ${c.target}`);
  }
}

/**
 * The timings both runs measured, side by side: every number named `…Ms`
 * found at the same place in the two results' data (the sync's cases and
 * their phases, the pages' URLs), as PostgreSQL / SQLite.
 */
function compareTimings(sqlite: ScenarioResult, postgres: ScenarioResult): { what: string; sqliteMs: number; postgresMs: number; ratio: number }[] {
  const out: { what: string; sqliteMs: number; postgresMs: number; ratio: number }[] = [];
  const walk = (a: unknown, b: unknown, where: string) => {
    if (!a || !b || typeof a !== "object" || typeof b !== "object") return;
    for (const [k, v] of Object.entries(a)) {
      const w = (b as Record<string, unknown>)[k];
      if (k === "windowMs") continue; // the double's rate-limit window: a setting, not a measurement
      if (k.endsWith("Ms") && typeof v === "number" && typeof w === "number" && v > 0) {
        out.push({ what: `${where} ${k}`.trim(), sqliteMs: Math.round(v), postgresMs: Math.round(w), ratio: Math.round((w / v) * 100) / 100 });
      } else if (v && typeof v === "object") {
        const item = v as { name?: unknown; url?: unknown };
        const label = Array.isArray(a) ? String(item.name ?? item.url ?? `[${k}]`) : k;
        walk(v, w, where ? `${where} ${label}` : label);
      }
    }
  };
  walk(sqlite.data, postgres.data, "");
  return out;
}

const { scenarios, options, keepData, dbs } = parseArgs(process.argv.slice(2));
const started = Date.now();
const loadAtStart = loadavg();
const results: ScenarioResult[] = [];
const comparisons: { scenario: string; timings: ReturnType<typeof compareTimings> }[] = [];
for (const name of scenarios) {
  // pages runs once per size, each in its own process and data dir.
  const sizes = name === "pages" ? (options.rows ? [options.rows] : [10_000, 100_000]) : [0];
  for (const rows of sizes) {
    const byDb: Partial<Record<Db, ScenarioResult>> = {};
    for (const dbName of dbs) {
      console.error(`\n[bench] ${name}${rows ? ` (${rows})` : ""}${dbs.length > 1 || dbName !== "sqlite" ? ` on ${dbName}` : ""}: starting`);
      const r = await runOn(dbName, name, rows ? { ...options, rows } : options, keepData);
      if (dbName === "postgres") r.scenario = `${r.scenario} (PostgreSQL)`;
      byDb[dbName] = r;
      results.push(r);
      print(r);
    }
    if (byDb.sqlite?.ok && byDb.postgres?.ok) comparisons.push({ scenario: `${name}${rows ? ` (${rows})` : ""}`, timings: compareTimings(byDb.sqlite, byDb.postgres) });
  }
}
for (const c of comparisons) {
  console.log(`\n=== ${c.scenario}: PostgreSQL / SQLite (wall times and medians, ms)`);
  const w = Math.max(...c.timings.map((t) => t.what.length));
  for (const t of c.timings) console.log(`  ${t.what.padEnd(w)}  ${String(t.sqliteMs).padStart(8)}  ${String(t.postgresMs).padStart(8)}  × ${t.ratio}`);
}
const totalMs = Date.now() - started;
const checks = results.flatMap((r) => r.checks.map((c) => ({ scenario: r.scenario, ...c })));
console.log(`\n=== summary: ${checks.filter((c) => c.pass).length}/${checks.length} targets met, ${results.filter((r) => !r.ok).length} scenario(s) crashed, ${(totalMs / 1000).toFixed(1)} s in all`);
for (const c of checks.filter((c) => !c.pass)) console.log(`  MISS ${c.scenario}: ${c.name} = ${c.value} (target ${c.target})`);

const outDir = path.join("bench", "results");
mkdirSync(outDir, { recursive: true });
const report = { startedAt: new Date(started).toISOString(), totalMs, host: { cpus: cpus().length, loadavgAtStart: loadAtStart, loadavgAtEnd: loadavg() }, options, dbs, results, comparisons };
writeFileSync(path.join(outDir, "latest.json"), JSON.stringify(report, null, 2) + "\n");
console.log(`\nwritten: ${path.join(outDir, "latest.json")}`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
