// npm run chaos -- [--seed N | --seeds 1,2,3] [--ops N] [--kill | --no-kill | --both] [--instances N] [--proxies N]
// Needs the shared services (bash test/services/start.sh) and the test images (bash test/images/build.sh).
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

process.env.WHARF_DATA_DIR = mkdtempSync(path.join(tmpdir(), "wharf-chaos-"));
process.env.LOG_LEVEL ??= "warn";
delete process.env.DATABASE_URL;
const { ensureStarted } = await import("../lib/startup");
await ensureStarted();
const { runChaos, formatResult, sweepLeftovers } = await import("../test/chaos/chaos");
await sweepLeftovers();

let failed = 0;
let total = 0;
for (const kill of kills) {
  for (const seed of seeds) {
    const r = await runChaos({ seed, ops, kill, instances: arg("instances") ? Number(arg("instances")) : undefined, proxies: arg("proxies") ? Number(arg("proxies")) : undefined, log: argv.includes("--verbose") ? console.log : undefined });
    console.log(formatResult(r));
    total += r.ops;
    if (Object.values(r.violations).some((v) => v.length)) failed++;
  }
}
console.log(`${total} operations over ${seeds.length * kills.length} runs; ${failed} runs with violations (data and worker logs: ${process.env.WHARF_DATA_DIR})`);
process.exit(failed ? 1 : 0);
