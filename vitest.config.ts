import path from "node:path";
import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure code and SQLite, fast, parallel) and
// `integration` (*.it.test.ts: real dockerd, Caddy, PowerDNS started by
// test/services/start.sh; run one file at a time, generous timeouts).
// Their `-pg` twins run the database-heavy files of each on PostgreSQL
// (WHARF_TEST_DB=postgres: a fresh database per test file, test/setup-db.ts):
// the raw SQL, the leases, the lists and their plans, the deployer and its
// crash recovery. The rest of the suites do not depend on the backend.
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    env: { NODE_ENV: "test" },
    setupFiles: ["./test/setup-db.ts"],
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["lib/**/*.test.ts", "test/**/*.test.ts", "cli/**/*.test.ts"], exclude: ["**/*.it.test.ts", "node_modules/**"], testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: "unit-pg",
          include: [
            "lib/db/**/*.test.ts", "lib/auth/**/*.test.ts", "lib/consumers/**/*.test.ts", "lib/reconcile/**/*.test.ts", "lib/retention/**/*.test.ts",
            "lib/usage/**/*.test.ts", "lib/lists*.test.ts", "lib/pagination.test.ts", "lib/installation-id.test.ts", "lib/dns/switch-provider.test.ts", "lib/dns/ledger-bulk.test.ts", "lib/dns/reconcile-plan.test.ts",
            "lib/deployer/**/*.test.ts", "lib/standalone-proxies/**/*.test.ts", "lib/settings/**/*.test.ts", "lib/configuration/**/*.test.ts", "lib/audit/**/*.test.ts",
          ],
          // migrate-to-postgres.test.ts copies the app's SQLite database into scratch PostgreSQL ones: it runs in `unit`.
          exclude: ["**/*.it.test.ts", "node_modules/**", "lib/db/migrate-to-postgres.test.ts"],
          env: { WHARF_TEST_DB: "postgres" },
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "integration-pg",
          include: ["lib/deployer/deployer.it.test.ts", "lib/deployer/recovery.it.test.ts", "lib/reconcile/concurrency.it.test.ts", "lib/reconcile/infrastructure.it.test.ts"],
          exclude: ["node_modules/**"],
          env: { WHARF_TEST_DB: "postgres" },
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["**/*.it.test.ts"],
          exclude: ["node_modules/**"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
