import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

// End-to-end tests run the production build (`next start`) on a fresh data
// folder, in Debian's Chromium (Playwright cannot download browsers here).
const port = Number(process.env.E2E_PORT ?? 3100);
const dataDir = process.env.E2E_DATA_DIR ?? mkdtempSync(path.join(tmpdir(), "wharf-e2e-"));
process.env.E2E_DATA_DIR = dataDir;
export const E2E_ADMIN = { email: "admin@example.com", password: "e2e-admin-password" };

export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  globalSetup: "./e2e/global-setup.ts",
  reporter: process.env.CI ? [["list"], ["json", { outputFile: ".ci/out/playwright.json" }]] : [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    // Wharf refuses cookie-authenticated writes that carry neither Origin nor
    // Sec-Fetch-Site (SPEC §12), and Playwright's API client sends neither: give
    // it the origin a browser on Wharf's own pages sends. e2e/security.spec.ts
    // turns this off to see what a real browser sends.
    extraHTTPHeaders: { origin: `http://127.0.0.1:${port}` },
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
    },
  },
  webServer: {
    // Idle keep-alive sockets stay open 65 s instead of Node's 5 s: an API context reused
    // after ~5 s of browser steps otherwise races the server closing it (read ECONNRESET).
    command: `npx next start -H 127.0.0.1 -p ${port} --keepAliveTimeout 65000`,
    url: `http://127.0.0.1:${port}/api/health`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      WHARF_DATA_DIR: dataDir,
      WHARF_ADMIN_EMAIL: E2E_ADMIN.email,
      WHARF_ADMIN_PASSWORD: E2E_ADMIN.password,
      WHARF_SCHEDULER: "off",
      // Usage samples every 2 s instead of 15 s, so a chart has points within a test's time.
      WHARF_USAGE_INTERVAL_S: "2",
      // The test PowerDNS answers for the zones the specs make (custom domains are validated through it).
      WHARF_DNS_RESOLVER: "127.0.0.1:5300",
      // "Use Wharf's Caddy" (e2e/managed-proxy.spec.ts): the locally built image on loopback high ports.
      WHARF_MANAGED_PROXY_IMAGE: "wharf-test/caddy:2",
      WHARF_MANAGED_PROXY_CONTAINER: "wharf-caddy-e2e",
      WHARF_MANAGED_PROXY_BIND_ADDRESS: "127.0.0.1",
      WHARF_MANAGED_PROXY_HTTP_PORT: "24280",
      WHARF_MANAGED_PROXY_HTTPS_PORT: "24643",
      NEXT_TELEMETRY_DISABLED: "1",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    },
  },
});
