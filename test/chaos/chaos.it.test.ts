import { expect, it } from "vitest";
import { formatResult, runChaos } from "./chaos";

// The short, seeded chaos run of CI (issue 11); `npm run chaos` runs the long one.
// Two Wharf processes on this file's database, real dockerd, Caddy and PowerDNS.
it("seed 11, 30 operations with SIGKILLs: every invariant holds after the final quiet sync", async () => {
  const r = await runChaos({ seed: 11, ops: 30, kill: true, ports: [3213, 3214] });
  console.log(formatResult(r));
  expect(r.violations).toEqual({ served: [], stopped: [], dns: [], ledger: [], orphans: [], transitional: [], operations: [] });
  // The schedule did real work: operations succeeded, and some were refused as busy rather than interleaved.
  const ok = Object.entries(r.outcomes).filter(([k]) => k.endsWith(": ok")).reduce((n, [, v]) => n + v, 0);
  expect(ok).toBeGreaterThan(5);
}, 300_000);
