import path from "node:path";
import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure code and SQLite, fast, parallel) and
// `integration` (*.it.test.ts: real dockerd, Caddy, PowerDNS started by
// test/services/start.sh; run one file at a time, generous timeouts).
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
