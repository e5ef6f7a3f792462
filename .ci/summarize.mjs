// Sums the test counts of every suite and the failed steps into one line:
// "N passed, N failed". Exits non-zero when anything failed or nothing ran.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const [outDir, ...failedSteps] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];
const failures = [];
const firstLine = (msg) => String(msg ?? "").replace(/\x1b\[[0-9;]*m/g, "").split("\n").find((l) => l.trim()) ?? "";

for (const name of ["vitest-unit.json", "vitest-integration.json", "vitest-unit-pg.json", "vitest-integration-pg.json"]) {
  const file = path.join(outDir, name);
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  lines.push(`${name.replace(".json", "")}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  for (const f of r.testResults ?? []) {
    for (const a of f.assertionResults ?? []) {
      if (a.status === "failed") failures.push(`${name.replace(".json", "")}: ${path.relative(process.cwd(), f.name)} > ${a.fullName}: ${firstLine(a.failureMessages?.[0]).slice(0, 300)}`);
    }
    if (f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed")) failures.push(`${name.replace(".json", "")}: ${path.relative(process.cwd(), f.name)}: ${firstLine(f.message).slice(0, 300)}`);
  }
}

const pw = path.join(outDir, "playwright.json");
if (existsSync(pw)) {
  const s = JSON.parse(readFileSync(pw, "utf8")).stats;
  const p = s.expected + (s.flaky ?? 0);
  passed += p;
  failed += s.unexpected;
  skipped += s.skipped;
  lines.push(`playwright: ${p} passed, ${s.unexpected} failed`);
  const walk = (suite, titles) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status === "unexpected") failures.push(`playwright: ${spec.file}:${spec.line} > ${[...titles, spec.title].join(" > ")}: ${firstLine(t.results?.at(-1)?.error?.message).slice(0, 300)}`);
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...titles, child.title]);
  };
  for (const suite of JSON.parse(readFileSync(pw, "utf8")).suites ?? []) walk(suite, []);
}

// The image smoke tests print their own "N passed, N failed" as their last such line.
for (const [name, file] of [["image smoke", "image-smoke.log"], ["replicas smoke", "replicas-smoke.log"]]) {
  const smoke = path.join(outDir, file);
  if (!existsSync(smoke)) continue;
  const m = [...readFileSync(smoke, "utf8").matchAll(/^(\d+) passed, (\d+) failed$/gm)].at(-1);
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    lines.push(`${name}: ${m[1]} passed, ${m[2]} failed`);
  }
}

// A failed step counts as one failure, except a suite whose report exists:
// its failed tests are already counted.
const reports = {
  "unit tests": "vitest-unit.json", "integration tests": "vitest-integration.json",
  "unit tests (PostgreSQL)": "vitest-unit-pg.json", "integration tests (PostgreSQL)": "vitest-integration-pg.json", "e2e tests": "playwright.json", "image smoke": "image-smoke.log",
  "replicas smoke": "replicas-smoke.log" };
failed += failedSteps.filter((s) => !(reports[s] && existsSync(path.join(outDir, reports[s])))).length;
// The failed tests by name, so that the tail of the log alone says what failed.
for (const f of failures) console.log(`FAILED ${f}`);
for (const l of lines) console.log(l);
if (failedSteps.length) console.log(`failed steps: ${failedSteps.join(", ")}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
