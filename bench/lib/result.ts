// What a scenario hands back to the runner: its measurements and its targets.
// Targets are reported (PASS/MISS), never asserted: a miss does not fail the bench.

export interface Check {
  name: string;
  value: number | string;
  /** Human form of the target, e.g. "≤ 1.5". */
  target: string;
  pass: boolean;
}

export interface ScenarioResult {
  scenario: string;
  ok: boolean;
  error?: string;
  wallMs: number;
  /** Lines for the human report, in order. */
  lines: string[];
  checks: Check[];
  /** Everything measured, for bench/results/latest.json. */
  data: Record<string, unknown>;
}

export function check(name: string, value: number | string, target: string, pass: boolean): Check {
  return { name, value, target, pass };
}

export const ms = (v: number) => `${Math.round(v)} ms`;
