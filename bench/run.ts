// `npm run bench [-- deploy|zero-downtime|sync …] [--runs N] [--redeploys N] [--consumers N]`
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
import type { ScenarioResult } from "./lib/result";
import { SERVER_NODE_OPTIONS } from "./lib/server-options";

const ALL = ["deploy", "zero-downtime", "sync", "usage", "pages"] as const;
const HELP = `usage: npm run bench -- [${ALL.join("|")} …] [--runs N] [--redeploys N] [--consumers N] [--containers N] [--ticks N] [--interval S] [--rows N] [--keep-data]
  --runs N        deploy: timed runs of each kind (default 7)
  --redeploys N   zero-downtime: redeploys under load (default 5)
  --consumers N   sync: size of the large zone (default 10000; the small one is a tenth of it, at most 1000)
  --containers N  usage: running containers sampled (default 50)
  --ticks N       usage: timed collector ticks (default 8)
  --interval N    usage: seconds between ticks (default 15, the collector's default)
  --rows N        pages: one size only (default: 10000, then 100000, each in a fresh data dir; needs \`npm run build\`)
  --shared-caddy  zero-downtime: use test/services/start.sh's Caddy (127.0.0.1:2019, :8480) instead of a private one
  --keep-data     keep each scenario's data dir under ${tmpdir()}`;

function parseArgs(argv: string[]) {
  const picked: string[] = [];
  const options: Record<string, number> = {};
  let keepData = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
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
  return { scenarios: picked.length ? picked : [...ALL], options, keepData };
}

function runChild(name: string, options: Record<string, number>, keepData: boolean): Promise<ScenarioResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `wharf-bench-${name}-`));
  const resultFile = path.join(dataDir, "result.json");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--expose-gc", ...SERVER_NODE_OPTIONS.split(/\s+/).filter(Boolean), ...(process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []), "--import", "tsx", path.join("bench", "child.ts"), name], {
      stdio: ["ignore", "inherit", "inherit"],
      env: {
        ...process.env,
        WHARF_DATA_DIR: dataDir,
        DATABASE_URL: "",
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

const { scenarios, options, keepData } = parseArgs(process.argv.slice(2));
const started = Date.now();
const loadAtStart = loadavg();
const results: ScenarioResult[] = [];
for (const name of scenarios) {
  // pages runs once per size, each in its own process and data dir.
  const sizes = name === "pages" ? (options.rows ? [options.rows] : [10_000, 100_000]) : [0];
  for (const rows of sizes) {
    console.error(`\n[bench] ${name}${rows ? ` (${rows})` : ""}: starting`);
    const r = await runChild(name, rows ? { ...options, rows } : options, keepData);
    results.push(r);
    print(r);
  }
}
const totalMs = Date.now() - started;
const checks = results.flatMap((r) => r.checks.map((c) => ({ scenario: r.scenario, ...c })));
console.log(`\n=== summary: ${checks.filter((c) => c.pass).length}/${checks.length} targets met, ${results.filter((r) => !r.ok).length} scenario(s) crashed, ${(totalMs / 1000).toFixed(1)} s in all`);
for (const c of checks.filter((c) => !c.pass)) console.log(`  MISS ${c.scenario}: ${c.name} = ${c.value} (target ${c.target})`);

const outDir = path.join("bench", "results");
mkdirSync(outDir, { recursive: true });
const report = { startedAt: new Date(started).toISOString(), totalMs, host: { cpus: cpus().length, loadavgAtStart: loadAtStart, loadavgAtEnd: loadavg() }, options, results };
writeFileSync(path.join(outDir, "latest.json"), JSON.stringify(report, null, 2) + "\n");
console.log(`\nwritten: ${path.join(outDir, "latest.json")}`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
