import type { NextConfig } from "next";

// Sent with every page and API answer (SPEC §12). Wharf is never framed (its
// forms are click-jacking targets) and loads nothing from other origins.
// Next's App Router streams its data in inline <script> tags without nonces
// unless every page goes through a nonce-setting proxy, hence 'unsafe-inline'
// for scripts; e2e/security.spec.ts checks the pages hydrate with no CSP
// violation. Dev mode (React Refresh) also needs 'unsafe-eval'.
const csp = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${process.env.NODE_ENV === "development" ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders = [
  { key: "Content-Security-Policy", value: csp },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
];

const config: NextConfig = {
  // The Docker image uses Next's standalone output; `npm start` uses the regular build.
  output: process.env.WHARF_STANDALONE === "1" ? "standalone" : undefined,
  // Native and server-only packages stay out of the bundle (ENVIRONMENT.md).
  serverExternalPackages: ["better-sqlite3", "dockerode", "ssh2", "docker-modem", "@node-rs/argon2", "pino", "@prisma/adapter-better-sqlite3", "prom-client", "nodemailer", "pg", "@prisma/adapter-pg"],
  poweredByHeader: false,
  // Wharf uses no next/image: keep sharp (~20 MB) out of the standalone image.
  outputFileTracingExcludes: { "*": ["node_modules/sharp/**", "node_modules/@img/**"] },
  // `tsc --noEmit` is its own CI step (and covers tests, scripts and the CLI);
  // checking again inside `next build` only doubles the build time.
  typescript: { ignoreBuildErrors: true },
  typedRoutes: false,
  // Prometheus scrapes /metrics by default; the handler lives under /api (SPEC §17).
  async rewrites() {
    return [{ source: "/metrics", destination: "/api/metrics" }];
  },
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      // HSTS only means something over HTTPS (browsers ignore it on plain HTTP);
      // Wharf behind a TLS-terminating proxy learns the scheme from X-Forwarded-Proto.
      { source: "/:path*", has: [{ type: "header", key: "x-forwarded-proto", value: "https" }], headers: [{ key: "Strict-Transport-Security", value: "max-age=31536000" }] },
    ];
  },
};

export default config;
