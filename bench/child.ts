// One scenario in its own process: the parent (run.ts) gives it a fresh
// WHARF_DATA_DIR; migrations are applied here before any lib module opens
// the database. Progress goes to stderr, the result to BENCH_RESULT_FILE.
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { ScenarioResult } from "./lib/result";

const name = process.argv[2];
const resultFile = process.env.BENCH_RESULT_FILE;
const options = JSON.parse(process.env.BENCH_OPTIONS ?? "{}") as Record<string, number>;
if (!name || !resultFile || !process.env.WHARF_DATA_DIR) {
  console.error("usage: WHARF_DATA_DIR=… BENCH_RESULT_FILE=… tsx bench/child.ts <scenario>");
  process.exit(2);
}

const started = performance.now();
let result: ScenarioResult;
try {
  // Dynamic imports: lib/env and lib/db read WHARF_DATA_DIR when first loaded.
  const { env } = await import("../lib/env");
  const { migrate } = await import("../lib/db/migrate");
  // SQLite, or the PostgreSQL database run.ts made for this run (--db postgres|both), with its own migrations.
  await migrate({ databaseUrl: env().databaseUrl, migrationsDir: path.resolve(env().migrationsDir) });
  await (await import("../lib/secrets")).loadInstallationId();
  const scenarios: Record<string, () => Promise<{ run: (o: Record<string, number>) => Promise<ScenarioResult> }>> = {
    deploy: () => import("./scenarios/deploy"),
    "zero-downtime": () => import("./scenarios/zero-downtime"),
    sync: () => import("./scenarios/sync"),
    usage: () => import("./scenarios/usage"),
    pages: () => import("./scenarios/pages"),
  };
  const load = scenarios[name];
  if (!load) throw new Error(`unknown scenario ${name}`);
  result = await (await load()).run(options);
} catch (err) {
  result = {
    scenario: name,
    ok: false,
    error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    wallMs: performance.now() - started,
    lines: [],
    checks: [],
    data: {},
  };
}
result.wallMs = Math.round(performance.now() - started);
writeFileSync(resultFile, JSON.stringify(result, null, 2));
// Open handles (Prisma, dockerode agents, doubles) must not keep the process alive.
process.exit(0);
