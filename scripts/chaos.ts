// npm run chaos -- [--seed N | --seeds 1,2,3] [--ops N] [--kill | --no-kill | --both] [--instances N] [--proxies N] [--pg]
// Needs the shared services (bash test/services/start.sh) and the test images (bash test/images/build.sh).
// --pg: on a scratch PostgreSQL database (WHARF_TEST_PG_URL, else the one start.sh runs) with three
// processes: one SIGKILLed now and then, one SIGSTOPped past its lease and resumed (issue 26).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const seeds = (arg("seeds") ?? arg("seed") ?? "1").split(",").map(Number);
const ops = Number(arg("ops") ?? 50);
const kills = argv.includes("--both") ? [false, true] : [!argv.includes("--no-kill")];

const pg = argv.includes("--pg");
process.env.WHARF_DATA_DIR = mkdtempSync(path.join(tmpdir(), "wharf-chaos-"));
process.env.LOG_LEVEL ??= "warn";
delete process.env.DATABASE_URL;
let dropDatabase: (() => Promise<void>) | undefined;
if (pg) {
  const { createScratchDatabase } = await import("../test/helpers/pg");
  const scratch = await createScratchDatabase("wharf_chaos");
  process.env.DATABASE_URL = scratch.url;
  dropDatabase = scratch.drop;
  // Replicas must share these (start-up refuses PostgreSQL without them).
  process.env.NEXTAUTH_SECRET ??= "chaos-nextauth-secret-0123456789";
  process.env.WHARF_ENCRYPTION_KEY ??= "chaos-encryption-key-0123456789";
  process.env.CRON_SECRET ??= "chaos-cron-secret-0123456789abcd";
}
const { ensureStarted } = await import("../lib/startup");
await ensureStarted();
const { runChaos, formatResult, sweepLeftovers } = await import("../test/chaos/chaos");
await sweepLeftovers();

let failed = 0;
let total = 0;
for (const kill of kills) {
  for (const seed of seeds) {
    const r = await runChaos({ seed, ops, kill, ...(pg ? { workers: 3 as const, pause: true } : {}), instances: arg("instances") ? Number(arg("instances")) : undefined, proxies: arg("proxies") ? Number(arg("proxies")) : undefined, log: argv.includes("--verbose") ? console.log : undefined });
    console.log(formatResult(r));
    total += r.ops;
    if (Object.values(r.violations).some((v) => v.length)) failed++;
  }
}
console.log(`${total} operations over ${seeds.length * kills.length} runs${pg ? " on PostgreSQL" : ""}; ${failed} runs with violations (data and worker logs: ${process.env.WHARF_DATA_DIR})`);
if (dropDatabase) {
  await (globalThis as { wharfDb?: { $disconnect: () => Promise<void> } }).wharfDb?.$disconnect();
  await dropDatabase();
}
process.exit(failed ? 1 : 0);
